#if canImport(Glibc)
import Glibc
#endif
import ElevateCore
import IMDSSource
import Logging
import Testing

@Suite("imds source cache identity")
struct IMDSCacheIdentityTests {
    func identity(
        _ environment: [String: String] = [:], values: [String: String] = [:], machineIdPath: String
    ) -> [String: String]? {
        IMDSSource(machineIdPath: machineIdPath).cacheIdentity(
            for: Step(plugin: "imds", profile: Profile(name: "p", values: values)),
            context: RunContext(environment: environment, logger: Logger(label: "test")))
    }

    func machineIdFile(_ text: String) -> String {
        var template = Array("/tmp/imds-machine-id.XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test("the identity is the endpoint, the IMDSv1 policy and the machine id; each change makes another")
    func parts() {
        let one = machineIdFile("3d1219c7c4c5404aaa1f6d2a48adfda4\n")
        let two = machineIdFile("00000000000000000000000000000002\n")
        defer { unlink(one); unlink(two) }
        let base = identity(machineIdPath: one)
        #expect(base == ["endpoint": "http://169.254.169.254", "v1": "not-allowed",
                         "machine_id": "3d1219c7c4c5404aaa1f6d2a48adfda4"])
        #expect(identity(machineIdPath: two) != base)
        #expect(identity(["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1"], machineIdPath: one) != base)
        #expect(identity(values: ["elevate_imds_v1": "allow"], machineIdPath: one) != base)
        #expect(!IMDSSource().readsLocally)
    }

    @Test("no machine id or invalid settings: not cacheable")
    func notCacheable() {
        #expect(identity(machineIdPath: "/nonexistent/machine-id") == nil)
        let one = machineIdFile("abc\n")
        defer { unlink(one) }
        #expect(identity(["AWS_EC2_METADATA_DISABLED": "true"], machineIdPath: one) == nil)
    }
}
