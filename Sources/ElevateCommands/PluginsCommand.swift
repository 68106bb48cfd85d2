import ArgumentParser
import ElevateCore

/// `aws-elevate plugins`: what the registry holds.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List the registered source and elevation plugins."
    )

    func run() throws {
        let registry = BuiltinPlugins.registry()
        var lines = ["source plugins:"]
        let width = (registry.sources.map(\.name) + registry.elevations.map(\.name)).map(\.count).max() ?? 0
        func row(_ name: String, _ summary: String) -> String {
            "  " + name + String(repeating: " ", count: width - name.count + 2) + summary
        }
        lines += registry.sources.map { row($0.name, $0.summary) }
        lines.append("elevation plugins:")
        lines += registry.elevations.isEmpty ? ["  (none)"] : registry.elevations.map { row($0.name, $0.summary) }
        Output.write(lines.joined(separator: "\n") + "\n")
    }
}
