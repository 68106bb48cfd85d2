import ArgumentParser
import ElevateCore
import Logging

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .long, help: "Explain each step on stderr (also AWS_ELEVATE_DEBUG=1). Never prints a secret.")
    var debug = false

    func logger(environment: [String: String]) -> Logger {
        Self.logger(debug: debug, environment: environment)
    }

    /// A logger writing to stderr: debug level when asked for by flag or environment, warnings otherwise.
    static func logger(debug: Bool, environment: [String: String]) -> Logger {
        let wanted = debug || ["1", "true", "yes"].contains(environment["AWS_ELEVATE_DEBUG"]?.lowercased() ?? "")
        return Logger(label: "aws-elevate") { label in
            StderrLogHandler(label: label, level: wanted ? .debug : .warning)
        }
    }
}
