import AssumeRoleElevation
import ECSSource
import ElevateCore
import ElevatePluginHost
import EnvSource
import IMDSSource
import ProcessSource
import ProfileSource
import SSOSource
import WebIdentitySource

/// The one place where the built-in plugins are put into a registry.
package enum BuiltinPlugins {
    /// The registry of every built-in plugin.
    package static func registry() -> PluginRegistry {
        var registry = PluginRegistry()
        do {
            try registry.register(EnvSource())
            try registry.register(ProfileSource())
            try registry.register(IMDSSource())
            try registry.register(ECSSource())
            try registry.register(SSOSource())
            try registry.register(ProcessSource())
            try registry.register(WebIdentitySource())
            try registry.register(AssumeRoleElevation())
        } catch {
            // Only a duplicate name can fail, and the list above is fixed: a test pins that it builds.
            preconditionFailure("\(error)")
        }
        return registry
    }

    /// The registry of every built-in plugin, which finds process plugins in the folders `environment` names
    /// (``PluginSearchPath``) for the names a profile gives that no built-in plugin has.
    package static func registry(processPluginsFrom environment: [String: String]) -> PluginRegistry {
        var registry = registry()
        registry.locator = ProcessPluginLocator(searchPath: PluginSearchPath(environment: environment))
        return registry
    }

    /// The process plugins in the folders `environment` names that are never run, because a built-in plugin or an
    /// executable in an earlier folder has their name (for `doctor` and `aws-elevate plugins`).
    package static func shadowedProcessPlugins(environment: [String: String]) -> [ShadowedPlugin] {
        PluginSearchPath(environment: environment).shadowed(builtinNames: registry().builtinNames)
    }
}
