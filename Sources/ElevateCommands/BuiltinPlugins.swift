import AssumeRoleElevation
import ECSSource
import ElevateCore
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
}
