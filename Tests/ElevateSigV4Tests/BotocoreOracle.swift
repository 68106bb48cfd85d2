import Foundation

/// Runs Tests/support/botocore_sign.py, which signs the same cases with `botocore.auth.SigV4Auth`.
///
/// The interpreter is `AWS_ELEVATE_TEST_PYTHON`, else `.venv/bin/python3` at the package root if it exists, else
/// `python3` from `PATH`. Every way this can go wrong is an error: a missing oracle must fail the test, never skip it.
enum BotocoreOracle {
    struct Case: Encodable {
        var accessKey: String
        var secretKey: String
        var token: String?
        var region: String
        var service: String
        var host: String
        var path: String
        var query: [[String]]
        var headers: [[String]]
        var params: [[String]]
        var epochMillis: Int64
    }

    struct Result: Decodable {
        var authorization: String
        var body: String
        var canonicalRequest: String
        var stringToSign: String
        var xAmzDate: String
        var securityToken: String?
    }

    struct Output: Decodable {
        var botocoreVersion: String
        var results: [Result]
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let script = packageRoot.appendingPathComponent("Tests/support/botocore_sign.py")

    /// The interpreter command and how it was chosen, for messages.
    static func interpreter() -> (executable: URL, leadingArguments: [String], origin: String) {
        let environment = ProcessInfo.processInfo.environment
        if let chosen = environment["AWS_ELEVATE_TEST_PYTHON"], !chosen.isEmpty {
            if chosen.contains("/") {
                return (URL(fileURLWithPath: chosen), [], "AWS_ELEVATE_TEST_PYTHON=\(chosen)")
            }
            return (URL(fileURLWithPath: "/usr/bin/env"), [chosen], "AWS_ELEVATE_TEST_PYTHON=\(chosen) (from PATH)")
        }
        let venv = packageRoot.appendingPathComponent(".venv/bin/python3")
        if FileManager.default.isExecutableFile(atPath: venv.path) {
            return (venv, [], "\(venv.path) (package .venv)")
        }
        return (URL(fileURLWithPath: "/usr/bin/env"), ["python3"], "python3 from PATH")
    }

    static func sign(_ cases: [Case], timeout: TimeInterval = 300) throws -> Output {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("aws-elevate-sigv4-oracle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("cases.json")
        let output = directory.appendingPathComponent("results.json")
        let errors = directory.appendingPathComponent("stderr.txt")
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try encoder.encode(["cases": cases]).write(to: input)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)

        let (executable, leading, origin) = interpreter()
        let hint = "set AWS_ELEVATE_TEST_PYTHON to a Python 3 with botocore installed (pip install botocore)"
        let process = Process()
        process.executableURL = executable
        process.arguments = leading + [script.path, input.path, output.path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let errorHandle = try FileHandle(forWritingTo: errors)
        defer { try? errorHandle.close() }
        process.standardError = errorHandle
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot start the botocore oracle with \(origin): \(error); \(hint)")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw Failure(description: "the botocore oracle (\(origin)) did not finish within \(Int(timeout)) s")
        }
        let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        switch process.terminationStatus {
        case 0:
            break
        case 3:
            throw Failure(description: "botocore is missing for the oracle (\(origin)): \(stderr)\(hint)")
        case 127:
            throw Failure(description: "no Python interpreter for the oracle (\(origin)): \(stderr)\(hint)")
        default:
            throw Failure(
                description:
                    "the botocore oracle (\(origin)) exited with status \(process.terminationStatus): \(stderr)"
            )
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let decoded = try decoder.decode(Output.self, from: Data(contentsOf: output))
        guard decoded.results.count == cases.count else {
            throw Failure(description: "the oracle returned \(decoded.results.count) results for \(cases.count) cases")
        }
        return decoded
    }
}
