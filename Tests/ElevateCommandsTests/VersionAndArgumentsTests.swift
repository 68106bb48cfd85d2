import Testing

@testable import ElevateCommands

@Suite("--version and the command line read from the process entry")
struct VersionAndArgumentsTests {
    @Test("the process entry's arguments are the command line the runtime reads from /proc")
    func entryArguments() {
        #expect(!ProcessArguments.strings.isEmpty)
        #expect(ProcessArguments.strings == CommandLine.arguments)
        #expect(ProcessArguments.bytes.map { String(decoding: $0, as: UTF8.self) } == CommandLine.arguments)
    }

    @Test("the version line is the name and the version, then the commit in parentheses")
    func versionLine() {
        let line = BuildInfo.versionLine(version: "1.2.3", commit: "0123456789ab")
        #expect(line == "aws-elevate 1.2.3 (commit 0123456789ab)")
        let expected = "aws-elevate \(AWSElevate.version) (commit \(BuildInfo.commit))"
        #expect(AWSElevate.configuration.version == expected)
    }

    @Test("the commit is 12 hex digits, with -dirty for a changed tree, or unknown")
    func commitShape() {
        let commit = BuildInfo.commit
        let hex = commit.hasSuffix("-dirty") ? String(commit.dropLast("-dirty".count)) : commit
        #expect(
            commit == "unknown"
                || (hex.utf8.count == 12 && hex.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }))
    }
}
