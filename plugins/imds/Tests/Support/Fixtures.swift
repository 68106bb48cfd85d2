import ElevateCore
import Foundation
import IMDSSource
import InMemoryLogging
import Logging

/// The log lines of one run, captured at debug level as `level: message`.
final class LogLines: Sendable {
    private let handler = InMemoryLogHandler()

    var lines: [String] { handler.entries.map { "\($0.level): \($0.message)" } }
    var text: String { lines.joined(separator: "\n") }

    var logger: Logger {
        Logger(label: "test") { [handler] _ in
            var debug = handler
            debug.logLevel = .debug
            return debug
        }
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
        logger: logs.logger
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
