import Foundation

/// A test peer that is one of the Python scripts in `Tests/support` (the IMDS and container emulators), started with
/// `--port-file` and `--exit-with-stdin`: it dies with the test process that started it.
public enum ScriptPeer {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `Tests/support/SCRIPT` and waits up to 15 s for its port; `name` names it in errors.
    public static func start(_ script: String, name: String) throws -> (port: Int, process: Process, input: Pipe) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(script)-\(UUID().uuidString).port")
        defer { try? FileManager.default.removeItem(at: portFile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", root.appendingPathComponent("Tests/support/\(script)").path, "--port-file", portFile.path,
            "--exit-with-stdin",
        ]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        while true {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let port = Int(text) {
                return (port, process, input)
            } else if !process.isRunning {
                throw Failure(description: "the \(name) exited before it was ready")
            } else if Date() > deadline {
                process.terminate()
                throw Failure(description: "the \(name) did not start within 15 s")
            }
            usleep(20_000)
        }
    }
}
