import Foundation

/// Runs one keyring scenario in a fresh copy of this test binary, optionally inside a private D-Bus session
/// prepared by `Tests/support/keyring_session.sh`, so that the child starts with libsecret unmapped and with a
/// session bus (or none) of its own.
///
/// The child runs only the calling test, filtered by name; there `ELEVATE_KEYRING_SCENARIO` is set, so the same
/// test runs the scenario instead and writes its facts, one `name: value` per line, to `ELEVATE_KEYRING_REPORT`.
/// No test is ever disabled or skipped.
enum KeyringChild {
    struct Result {
        let status: Int32
        /// The child's stdout and stderr, and the session bus daemon's log.
        let output: String
        let report: [String]
        let seconds: Double

        /// The value of the fact `name`, or nil when the child did not report it.
        func fact(_ name: String) -> String? {
            let prefix = name + ": "
            return report.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        }

        /// A fact holding a number of milliseconds.
        func milliseconds(_ name: String) -> Double? {
            fact(name).flatMap(Double.init)
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static var scenario: String? { ProcessInfo.processInfo.environment["ELEVATE_KEYRING_SCENARIO"] }

    static let sessionScript = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("support/keyring_session.sh").path

    private static func writeReport(_ lines: [String]) throws {
        guard let path = ProcessInfo.processInfo.environment["ELEVATE_KEYRING_REPORT"] else {
            throw Failure(description: "ELEVATE_KEYRING_REPORT is not set")
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
    }

    /// In the parent: runs the calling test in a child, inside `keyring_session.sh session` when `session` is
    /// given, else directly with `environment` applied (a nil value removes a variable), and returns what the
    /// child reported. In the child: runs `scenario`, writes its report and returns nil.
    static func run(
        _ scenario: (inout Report) -> Void,
        session: String?,
        environment changes: [String: String?] = [:],
        timeoutSeconds: Double = 90,
        test: String = #function
    ) throws -> Result? {
        if let name = self.scenario {
            guard name == test else { throw Failure(description: "child for '\(name)' ran '\(test)'") }
            var report = Report()
            scenario(&report)
            try writeReport(report.lines)
            return nil
        }
        return try spawn(test: test, session: session, environment: changes, timeoutSeconds: timeoutSeconds)
    }

    private static func spawn(
        test: String,
        session: String?,
        environment changes: [String: String?],
        timeoutSeconds: Double
    ) throws -> Result {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let report = FileManager.default.temporaryDirectory
            .appendingPathComponent("elevate-keyring-child-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: report) }

        var environment = ProcessInfo.processInfo.environment
        for (name, value) in changes {
            environment[name] = value
        }
        environment["ELEVATE_KEYRING_SCENARIO"] = test
        environment["ELEVATE_KEYRING_REPORT"] = report.path

        let filter = NSRegularExpression.escapedPattern(for: "ElevateKeyringTests.KeyringSessionTests/\(test)")
        let testArguments = ["--testing-library", "swift-testing", "--filter", filter]
        let process = Process()
        if let session {
            process.executableURL = URL(fileURLWithPath: sessionScript)
            process.arguments = [session, executable] + testArguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = testArguments
        }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let start = Date()
        try process.run()
        let watchdog = DispatchWorkItem { [process] in process.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: watchdog)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        watchdog.cancel()
        let seconds = Date().timeIntervalSince(start)
        let lines =
            (try? String(contentsOf: report, encoding: .utf8))?
            .split(separator: "\n").map(String.init) ?? []
        return Result(status: process.terminationStatus, output: text, report: lines, seconds: seconds)
    }

    /// Runs a tool inside the child (dbus-send, secret-tool) and returns its exit status and stdout.
    static func tool(_ path: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return (-1, "\(error)")
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}
