#if canImport(Glibc)
import Glibc
#endif
import ElevateCore

/// Where process plugins are looked for: the folders of `AWS_ELEVATE_PLUGIN_PATH`, then
/// `$XDG_DATA_HOME/aws-elevate/plugins` (`~/.local/share/aws-elevate/plugins` by default).
///
/// A plugin called NAME is the executable `aws-elevate-plugin-NAME` in the first folder that holds one. Only
/// absolute folders count (an empty or relative entry, which would depend on the current directory, is passed
/// over), and a name is looked up only when a plan uses it.
public struct PluginSearchPath: Sendable, Equatable {
    /// The variable that lists folders to search first, separated by `:`.
    public static let pathVariable = "AWS_ELEVATE_PLUGIN_PATH"
    /// What an executable's name starts with; the plugin's name follows.
    public static let executablePrefix = "aws-elevate-plugin-"

    /// The folders, in the order they are searched.
    public var folders: [String]

    public init(folders: [String]) {
        self.folders = folders
    }

    /// The folders `environment` names: `AWS_ELEVATE_PLUGIN_PATH`'s absolute entries, then the data folder
    /// (`XDG_DATA_HOME` when it is absolute, else `HOME/.local/share`), each once.
    public init(environment: [String: String]) {
        var folders: [String] = []
        func add(_ folder: String) {
            guard folder.utf8.first == UInt8(ascii: "/") else { return }
            var trimmed = Substring(folder)
            while trimmed.utf8.count > 1 && trimmed.utf8.last == UInt8(ascii: "/") { trimmed = trimmed.dropLast() }
            let clean = String(trimmed)
            if !folders.contains(where: { $0.utf8.elementsEqual(clean.utf8) }) { folders.append(clean) }
        }
        if let path = environment[Self.pathVariable] {
            for entry in path.utf8.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: true) {
                add(String(decoding: entry, as: UTF8.self))
            }
        }
        if let data = environment["XDG_DATA_HOME"], data.utf8.first == UInt8(ascii: "/") {
            add(data + "/aws-elevate/plugins")
        } else if let home = environment["HOME"], home.utf8.first == UInt8(ascii: "/") {
            add(home + "/.local/share/aws-elevate/plugins")
        }
        self.folders = folders
    }

    /// What a look-up of one name found.
    public enum Found: Sendable, Equatable {
        /// The executable to run.
        case executable(path: String)
        /// No folder holds a usable executable of that name; `unusable` is the first file of that name that
        /// cannot be run, and why, when there was one.
        case missing(unusable: (path: String, reason: String)?)

        public static func == (left: Found, right: Found) -> Bool {
            switch (left, right) {
            case (.executable(let a), .executable(let b)): a == b
            case (.missing(let a), .missing(let b)): a?.path == b?.path && a?.reason == b?.reason
            default: false
            }
        }
    }

    /// The executable of plugin `name` (a valid ``isPluginName(_:)``): the first regular file of that name that
    /// this user may execute, owned by this user or root and not writable by every user, as `execvp` takes the
    /// first match on `PATH`.
    public func find(_ name: String) -> Found {
        guard isPluginName(name) else { return .missing(unusable: nil) }
        var unusable: (path: String, reason: String)?
        for folder in folders {
            let path = folder + "/" + Self.executablePrefix + name
            switch Self.check(path) {
            case .none: continue
            case .some(nil): return .executable(path: path)
            case .some(let reason?): if unusable == nil { unusable = (path, reason) }
            }
        }
        return .missing(unusable: unusable)
    }

    /// `nil` when nothing is at `path`; `.some(nil)` for a usable executable; else why it cannot be run. The file
    /// must belong to `user` (this process's user) or to root: a plugin gets credentials, and one that another user
    /// could put in a shared folder (`/tmp`) or rewrite would receive them.
    static func check(_ path: String, user: uid_t = getuid()) -> String?? {
        var info = stat()
        guard stat(path, &info) == 0 else { return .none }
        guard info.st_mode & S_IFMT == S_IFREG else { return "it is not a regular file" }
        guard access(path, X_OK) == 0 else { return "it is not executable" }
        guard info.st_uid == user || info.st_uid == 0 else { return "it belongs to another user (uid \(info.st_uid))" }
        guard info.st_mode & S_IWOTH == 0 else { return "every user may write it" }
        return .some(nil)
    }

    /// Every plugin executable in the folders, in search order, with the first of each name marked as the one a
    /// look-up finds. Reads the folders: for `aws-elevate plugins` and `doctor`, never for a credential request.
    public func installed() -> [InstalledPlugin] {
        var found: [InstalledPlugin] = []
        for folder in folders {
            guard let directory = opendir(folder) else { continue }
            var names: [String] = []
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                guard name.utf8.starts(with: Self.executablePrefix.utf8) else { continue }
                let plugin = String(decoding: name.utf8.dropFirst(Self.executablePrefix.utf8.count), as: UTF8.self)
                if isPluginName(plugin) { names.append(plugin) }
            }
            closedir(directory)
            for name in names.sorted() {
                let path = folder + "/" + Self.executablePrefix + name
                guard case .some(let problem) = Self.check(path) else { continue }
                let earlier = found.first { $0.name == name && $0.problem == nil }?.path
                found.append(
                    InstalledPlugin(
                        name: name, path: path, problem: problem, shadowedBy: problem == nil ? earlier : nil))
            }
        }
        return found
    }
}

/// A plugin executable found in a plugin folder.
public struct InstalledPlugin: Sendable, Equatable {
    /// The plugin's name (what follows `aws-elevate-plugin-`).
    public var name: String
    /// The executable.
    public var path: String
    /// Why it cannot be run, when it cannot.
    public var problem: String?
    /// The executable of the same name in an earlier folder, which a look-up finds instead.
    public var shadowedBy: String?
}

/// A process plugin that is never run because something else has its name.
public struct ShadowedPlugin: Sendable, Equatable {
    /// The plugin's name.
    public var name: String
    /// The executable that is not run.
    public var path: String
    /// What runs instead: `built-in plugin 'NAME'`, or the path of an earlier executable.
    public var shadowedBy: String

    public init(name: String, path: String, shadowedBy: String) {
        self.name = name
        self.path = path
        self.shadowedBy = shadowedBy
    }
}

extension PluginSearchPath {
    /// The process plugins that `builtinNames` or an earlier folder shadow (for `doctor` and `aws-elevate plugins`).
    public func shadowed(builtinNames: Set<String>) -> [ShadowedPlugin] {
        installed().compactMap { plugin in
            guard plugin.problem == nil else { return nil }
            if builtinNames.contains(plugin.name) {
                return ShadowedPlugin(
                    name: plugin.name, path: plugin.path, shadowedBy: "built-in plugin '\(plugin.name)'")
            }
            return plugin.shadowedBy.map { ShadowedPlugin(name: plugin.name, path: plugin.path, shadowedBy: $0) }
        }
    }
}
