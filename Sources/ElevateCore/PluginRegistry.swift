/// The plugins available to a run, by name. A value: built in one place and passed to whatever needs it.
public struct PluginRegistry: Sendable {
    /// Source plugins in registration order.
    public private(set) var sources: [any SourcePlugin] = []
    /// Elevation plugins in registration order.
    public private(set) var elevations: [any ElevationPlugin] = []

    public init() {}

    /// Adds a source plugin. A name may be registered once per kind.
    public mutating func register(_ plugin: any SourcePlugin) throws(RegistryError) {
        guard !sources.contains(where: { $0.name == plugin.name }) else {
            throw RegistryError(kind: .source, name: plugin.name)
        }
        sources.append(plugin)
    }

    /// Adds an elevation plugin. A name may be registered once per kind.
    public mutating func register(_ plugin: any ElevationPlugin) throws(RegistryError) {
        guard !elevations.contains(where: { $0.name == plugin.name }) else {
            throw RegistryError(kind: .elevation, name: plugin.name)
        }
        elevations.append(plugin)
    }

    /// The source plugin called `name`; throws ``CoreError/unknownPlugin(kind:name:known:)`` listing the known ones.
    public func source(named name: String) throws(CoreError) -> any SourcePlugin {
        guard let plugin = sources.first(where: { $0.name == name }) else {
            throw .unknownPlugin(kind: .source, name: name, known: sources.map(\.name))
        }
        return plugin
    }

    /// The elevation plugin called `name`; throws ``CoreError/unknownPlugin(kind:name:known:)`` listing the known ones.
    public func elevation(named name: String) throws(CoreError) -> any ElevationPlugin {
        guard let plugin = elevations.first(where: { $0.name == name }) else {
            throw .unknownPlugin(kind: .elevation, name: name, known: elevations.map(\.name))
        }
        return plugin
    }
}

/// A plugin name was registered twice: a programming error in the one place that builds the registry.
public struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var kind: PluginKind
    public var name: String

    public init(kind: PluginKind, name: String) {
        self.kind = kind
        self.name = name
    }

    public var description: String { "\(kind) plugin '\(name)' is registered twice" }
}
