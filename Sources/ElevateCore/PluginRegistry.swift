/// The plugins available to a run, by name. A value: built in one place and passed to whatever needs it.
public struct PluginRegistry: Sendable {
    /// Source plugins in registration order.
    public private(set) var sources: [any SourcePlugin] = []
    /// Elevation plugins in registration order.
    public private(set) var elevations: [any ElevationPlugin] = []
    /// Finds plugins by name outside the registry (process plugins), asked only for a name that no registered
    /// plugin has; `nil`: only registered plugins exist.
    public var locator: (any PluginLocator)?

    public init() {}

    /// Adds a source plugin. A name may be registered once per kind, and a `credential_source` value or a place in
    /// botocore's order (``SourceSelection``) may be claimed by one source only.
    public mutating func register(_ plugin: any SourcePlugin) throws(RegistryError) {
        guard !sources.contains(where: { $0.name == plugin.name }) else {
            throw RegistryError(kind: .source, name: plugin.name)
        }
        let selection = plugin.selection
        for other in sources {
            if let value = selection.credentialSource, other.selection.credentialSource == value {
                let clash = "credential_source '\(value)' of '\(other.name)'"
                throw RegistryError(kind: .source, name: plugin.name, clash: clash)
            }
            if let rank = selection.ranks.first(where: other.selection.ranks.contains) {
                throw RegistryError(kind: .source, name: plugin.name, clash: "the \(rank) place of '\(other.name)'")
            }
        }
        sources.append(plugin)
    }

    /// Adds an elevation plugin. A name may be registered once per kind, and a selecting setting claimed by one
    /// elevation only.
    public mutating func register(_ plugin: any ElevationPlugin) throws(RegistryError) {
        guard !elevations.contains(where: { $0.name == plugin.name }) else {
            throw RegistryError(kind: .elevation, name: plugin.name)
        }
        for other in elevations {
            if let setting = plugin.selectingSettings.first(where: other.selectingSettings.contains) {
                let clash = "setting '\(setting)' of '\(other.name)'"
                throw RegistryError(kind: .elevation, name: plugin.name, clash: clash)
            }
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

extension PluginRegistry {
    /// The source plugin a profile names (`elevate_source`): the registered one of that name, which wins, else the
    /// ``locator``'s.
    public func source(namedInProfile name: String) -> PluginLookup<any SourcePlugin> {
        if let plugin = sources.first(where: { $0.name == name }) { return .found(plugin) }
        if elevations.contains(where: { $0.name == name }) { return .builtinOfOtherKind(.elevation) }
        return locator?.source(named: name) ?? .notFound(searched: [])
    }

    /// The elevation plugin a profile names (`elevate_plugin`): the registered one of that name, which wins, else the
    /// ``locator``'s.
    public func elevation(namedInProfile name: String) -> PluginLookup<any ElevationPlugin> {
        if let plugin = elevations.first(where: { $0.name == name }) { return .found(plugin) }
        if sources.contains(where: { $0.name == name }) { return .builtinOfOtherKind(.source) }
        return locator?.elevation(named: name) ?? .notFound(searched: [])
    }

    /// Every registered name, of either kind: a process plugin of one of these names is never run.
    public var builtinNames: Set<String> { Set(sources.map(\.name) + elevations.map(\.name)) }

    /// The first registered source chosen at `rank` of botocore's order, if any.
    public func source(at rank: SourceRank) -> (any SourcePlugin)? {
        sources.first { $0.selection.ranks.contains(rank) }
    }

    /// The registered source that `credential_source = value` names (exact spelling, as botocore checks it).
    public func source(credentialSource value: String) -> (any SourcePlugin)? {
        sources.first { $0.selection.credentialSource.map { $0.utf8.elementsEqual(value.utf8) } ?? false }
    }

    /// The `credential_source` values the registered sources serve, in registration order.
    public var credentialSources: [String] { sources.compactMap(\.selection.credentialSource) }

    /// The first registered elevation that `setting` makes a profile a hop of, if any.
    public func elevation(selectedBy setting: String) -> (any ElevationPlugin)? {
        elevations.first { $0.selectingSettings.contains(setting) }
    }
}

/// A plugin name was registered twice, or a plugin claims what another one declares: a programming error in the one
/// place that builds the registry.
public struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var kind: PluginKind
    public var name: String
    /// What another registered plugin already declares, when the name itself is new.
    public var clash: String?

    public init(kind: PluginKind, name: String, clash: String? = nil) {
        self.kind = kind
        self.name = name
        self.clash = clash
    }

    public var description: String {
        guard let clash else { return "\(kind) plugin '\(name)' is registered twice" }
        return "\(kind) plugin '\(name)' claims \(clash)"
    }
}

/// Finds plugins that are not registered, by name: process plugins, looked up only for the names a plan uses.
public protocol PluginLocator: Sendable {
    /// The source plugin called `name`.
    func source(named name: String) -> PluginLookup<any SourcePlugin>
    /// The elevation plugin called `name`.
    func elevation(named name: String) -> PluginLookup<any ElevationPlugin>
}

/// What looking a plugin up by name found.
public enum PluginLookup<Plugin: Sendable>: Sendable {
    case found(Plugin)
    /// Nothing has the name; `searched` names the places looked in, for messages.
    case notFound(searched: [String])
    /// Something with the name exists at `path` but cannot serve, for `reason`.
    case unusable(path: String, reason: String)
    /// A registered plugin of the other kind has the name; built-in names are never looked up elsewhere.
    case builtinOfOtherKind(PluginKind)
}

/// Whether `name` can name a plugin: 1 to 64 bytes of lower-case ASCII letters, digits and `-`, starting with a
/// letter or digit, as every built-in name is; so a name can never reach outside a plugin folder.
public func isPluginName(_ name: String) -> Bool {
    let bytes = name.utf8
    guard let first = bytes.first, bytes.count <= 64, first != UInt8(ascii: "-") else { return false }
    return bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "-") }
}
