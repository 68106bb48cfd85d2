import ArgumentParser
import ElevateCore
import ElevatePluginHost

/// `aws-elevate plugins`: what the registry holds, and the process plugins in the plugin folders.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List the built-in plugins and the process plugins found in the plugin folders."
    )

    func run() throws {
        let registry = BuiltinPlugins.registry()
        let searchPath = PluginSearchPath(environment: processEnvironment())
        Output.write(Self.listing(registry: registry, searchPath: searchPath))
    }

    /// The listing: built-in sources and elevations with their summaries, then each process plugin executable with
    /// its path, marked when a built-in plugin or an earlier folder shadows it, or when it cannot be run.
    static func listing(registry: PluginRegistry, searchPath: PluginSearchPath) -> String {
        var lines = ["source plugins:"]
        let width = (registry.sources.map(\.name) + registry.elevations.map(\.name)).map(\.count).max() ?? 0
        func row(_ name: String, _ summary: String) -> String {
            "  " + name + String(repeating: " ", count: max(width - name.count, 0) + 2) + summary
        }
        lines += registry.sources.map { row($0.name, $0.summary) }
        lines.append("elevation plugins:")
        lines += registry.elevations.isEmpty ? ["  (none)"] : registry.elevations.map { row($0.name, $0.summary) }
        lines.append("process plugins (elevate_source / elevate_plugin = NAME):")
        let builtins = registry.builtinNames
        let installed = searchPath.installed()
        if installed.isEmpty {
            let folders = searchPath.folders.map { singleLine($0) }.joined(separator: ", ")
            let unset = "any folder: neither \(PluginSearchPath.pathVariable) nor HOME is set"
            lines.append("  (none in \(folders.isEmpty ? unset : folders))")
        }
        for plugin in installed {
            var text = "  " + plugin.name + "  " + singleLine(plugin.path)
            if let problem = plugin.problem {
                text += "  (cannot be run: \(problem))"
            } else if builtins.contains(plugin.name) {
                text += "  (shadowed by the built-in plugin '\(plugin.name)')"
            } else if let earlier = plugin.shadowedBy {
                text += "  (shadowed by \(singleLine(earlier)))"
            }
            lines.append(text)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
