import ArgumentParser
import Testing

@testable import ElevateCommands

/// Every async command keeps the caller's thread (``RunsOnCallerThread``): one left off the list would start the
/// thread pool, which crashes where /proc is not mounted.
@Suite("async commands run on the caller's thread")
struct CallerThreadTests {
    static func commands(under root: any ParsableCommand.Type) -> [any ParsableCommand.Type] {
        [root] + root.configuration.subcommands.flatMap { commands(under: $0) }
    }

    @Test func everyAsyncCommandRunsOnTheCallersThread() {
        let all = Self.commands(under: AWSElevate.self)
        #expect(all.count > 10)
        let missing = all.filter { $0 is any AsyncParsableCommand.Type && !($0 is any RunsOnCallerThread.Type) }
        #expect(missing.isEmpty, "not RunsOnCallerThread: \(missing.map { String(describing: $0) })")
    }
}
