import Foundation

/// Runs one scenario in a fresh copy of the running test binary, so that it starts with nothing loaded and with an
/// environment of its own (a variable a scenario needs, such as a proxy, must not leak into parallel tests).
///
/// The child runs only the tests matching `filter`; the scenario test there is enabled by
/// `ELEVATE_CHILD_SCENARIO` and writes facts, one per line, to `ELEVATE_CHILD_REPORT`.
public enum ChildProcess {
    public struct Result: Sendable {
        public let status: Int32
        public let output: String
        public let report: [String]
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The scenario this process was started for, `nil` in the parent.
    public static var scenario: String? { ProcessInfo.processInfo.environment["ELEVATE_CHILD_SCENARIO"] }

    /// Writes the child's report; used by the scenario test inside the child.
    public static func writeReport(_ lines: [String]) throws {
        guard let path = ProcessInfo.processInfo.environment["ELEVATE_CHILD_REPORT"] else {
            throw Failure(description: "ELEVATE_CHILD_REPORT is not set")
        }
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Runs the tests matching `filter` in a child with `scenario` set, the proxy variables removed and `extra` added.
    /// A non-empty `launcher` (a program and its first arguments) is run instead, with the child's command line
    /// appended, such as a wrapper that starts it in a namespace of its own.
    public static func run(
        scenario: String,
        filter: String,
        environment extra: [String: String] = [:],
        launcher: [String] = [],
        timeoutSeconds: Double = 60
    ) throws -> Result {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let report = FileManager.default.temporaryDirectory
            .appendingPathComponent("elevate-child-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: report) }

        var environment = ProcessInfo.processInfo.environment
        for name in ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                     "no_proxy", "NO_PROXY"] {
            environment[name] = nil
        }
        environment.merge(extra) { $1 }
        environment["ELEVATE_CHILD_SCENARIO"] = scenario
        environment["ELEVATE_CHILD_REPORT"] = report.path

        let process = Process()
        let command = launcher + [executable, "--testing-library", "swift-testing", "--filter", filter]
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let watchdog = DispatchWorkItem { [process] in process.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: watchdog)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        watchdog.cancel()
        let lines = (try? String(contentsOf: report, encoding: .utf8))?
            .split(separator: "\n").map(String.init) ?? []
        return Result(status: process.terminationStatus, output: text, report: lines)
    }
}
