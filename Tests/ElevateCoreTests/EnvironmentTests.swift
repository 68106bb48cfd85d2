import ElevateCore
import Foundation
import Testing

@Suite("Process environment")
struct EnvironmentTests {
    @Test("reads the same variables and values as Foundation's ProcessInfo")
    func matchesProcessInfo() {
        setenv("AWS_ELEVATE_TEST_ENVIRONMENT", "a=b c\u{E9}", 1)
        defer { unsetenv("AWS_ELEVATE_TEST_ENVIRONMENT") }
        let ours = processEnvironment()
        #expect(ours == ProcessInfo.processInfo.environment)
        #expect(ours["AWS_ELEVATE_TEST_ENVIRONMENT"] == "a=b c\u{E9}")
    }
}
