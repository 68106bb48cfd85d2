import ElevateCore
import Foundation
import IMDSSource
import Logging

/// The log lines of one run, captured at debug level.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    var lines: [String] { lock.withLock { stored } }
    var text: String { lines.joined(separator: "\n") }

    func append(_ line: String) { lock.withLock { stored.append(line) } }
}

struct CapturingLogHandler: LogHandler {
    let sink: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        sink.append("\(event.level): \(event.message)")
    }
}

/// The profile of `[profile inst]` with `credential_source = Ec2InstanceMetadata`, plus `values`.
func instanceProfile(_ values: [String: String] = [:]) -> Profile {
    Profile(name: "inst", values: ["credential_source": "Ec2InstanceMetadata"].merging(values) { $1 })
}

/// Runs the `imds` source as the chain runner would, against `emulator` unless the environment names an endpoint.
/// A short timeout keeps failing tests quick; tests that measure time set their own.
func runSource(
    _ emulator: Emulator?,
    environment: [String: String] = [:],
    profile: Profile = instanceProfile(),
    logs: LogLines = LogLines()
) async throws -> Credentials? {
    var env = ["AWS_METADATA_SERVICE_TIMEOUT": "2"]
    if let emulator { env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = emulator.endpoint }
    env.merge(environment) { $1 }
    let context = RunContext(
        environment: env,
        logger: Logger(label: "test") { _ in CapturingLogHandler(sink: logs) }
    )
    return try await IMDSSource().credentials(for: Step(plugin: "imds", profile: profile), context: context)
}

/// The error a run throws, as the plugin's error type; fails the test if it succeeds or throws anything else.
func sourceError(
    _ emulator: Emulator?,
    environment: [String: String] = [:],
    profile: Profile = instanceProfile(),
    logs: LogLines = LogLines()
) async throws -> IMDSSourceError {
    do {
        let credentials = try await runSource(emulator, environment: environment, profile: profile, logs: logs)
        throw Emulator.Failure(description: "expected an error, got \(String(describing: credentials))")
    } catch let error as IMDSSourceError {
        return error
    }
}

/// Everything a user could see of a failure.
func shown(_ error: IMDSSourceError) -> String {
    "\(error.problem) — \(error.remedy)"
}
