#if canImport(Glibc)
import Glibc
#endif
import ElevateCore

/// Where cached sessions are kept.
public enum CacheMode: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// The keyring when a Secret Service can serve, else encrypted files.
    case auto
    /// The Secret Service keyring (gnome-keyring, KWallet) only.
    case keyring
    /// Encrypted files only.
    case file
    /// No cache: every run fetches.
    case none

    public var description: String { rawValue }
}

/// The cache's settings, each read from the environment and then from the requested profile; the environment wins
/// and an empty value counts as unset.
///
/// | variable | profile key | meaning |
/// |---|---|---|
/// | `AWS_ELEVATE_CACHE` | `elevate_cache` | `auto` (default), `keyring`, `file` or `none` |
/// | `AWS_ELEVATE_REFRESH_MARGIN` | `elevate_refresh_margin` | minutes left below which a session is refreshed (default and minimum 15) |
/// | `AWS_ELEVATE_CACHE_DIR` | — | the file backend's directory (default `$XDG_CACHE_HOME/aws-elevate`, `~/.cache/aws-elevate`) |
/// | `XDG_RUNTIME_DIR` | — | the keyring mode's lock files are in `aws-elevate` there, when it exists |
///
/// The file backend's key is `$XDG_CONFIG_HOME/aws-elevate/cache.key` (default `~/.config/aws-elevate/cache.key`).
public struct CacheSettings: Sendable, Equatable {
    public var mode: CacheMode
    /// Where the mode came from, for `--debug`: `AWS_ELEVATE_CACHE`, `elevate_cache in profile 'x'`, `default`.
    public var modeSource: String
    /// The configured refresh margin in seconds (before ``Freshness`` raises it to its minimum).
    public var refreshMargin: Double
    /// The file backend's directory, lock files included (but the keyring mode's, see ``runtimeDirectory``); `nil` when
    /// no home directory is known.
    public var directory: String?
    /// The file backend's key file; `nil` when no home directory is known.
    public var keyPath: String?
    /// The user's runtime directory (`XDG_RUNTIME_DIR`, when absolute): the keyring mode keeps its lock files in
    /// `aws-elevate` there when it exists, so that it does not depend on the file backend's directory.
    public var runtimeDirectory: String?

    /// The default refresh margin, in minutes.
    public static let defaultMarginMinutes = 15
    /// The largest accepted refresh margin, in minutes (12 hours, the longest STS session).
    public static let maximumMarginMinutes = 720

    /// Settings given directly (tests, embedding).
    public init(mode: CacheMode, modeSource: String = "given", refreshMargin: Double = 15 * 60,
                directory: String?, keyPath: String?, runtimeDirectory: String? = nil) {
        self.mode = mode
        self.modeSource = modeSource
        self.refreshMargin = refreshMargin
        self.directory = directory
        self.keyPath = keyPath
        self.runtimeDirectory = runtimeDirectory
    }

    /// The settings in `environment` and `profile` (the requested profile; `nil` for commands without one).
    ///
    /// Throws ``CacheError/invalidSetting(name:value:expected:)`` for a mode or margin that cannot be used.
    public init(environment: [String: String], profile: Profile?) throws(CacheError) {
        func setting(_ variable: String, _ key: String?) -> (text: String, name: String)? {
            if let text = environment[variable].map(trimmingWhitespace), !text.isEmpty { return (text, variable) }
            if let key, let profile, let text = profile[key].map(trimmingWhitespace), !text.isEmpty {
                return (text, "\(key) in profile '\(profile.name)'")
            }
            return nil
        }
        mode = .auto
        modeSource = "default"
        if let found = setting("AWS_ELEVATE_CACHE", "elevate_cache") {
            guard let parsed = CacheMode(rawValue: found.text.lowercased()) else {
                throw .invalidSetting(name: found.name, value: found.text, expected: "auto, keyring, file or none")
            }
            mode = parsed
            modeSource = found.name
        }
        refreshMargin = Double(Self.defaultMarginMinutes * 60)
        if let found = setting("AWS_ELEVATE_REFRESH_MARGIN", "elevate_refresh_margin") {
            guard found.text.utf8.count <= 4, found.text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                  let minutes = Int(found.text), minutes <= Self.maximumMarginMinutes
            else {
                throw .invalidSetting(
                    name: found.name, value: found.text,
                    expected: "whole minutes from 0 to \(Self.maximumMarginMinutes) (values below 15 count as 15)")
            }
            refreshMargin = Double(minutes * 60)
        }
        let home = homeDirectory(environment)
        directory = absolute(environment["AWS_ELEVATE_CACHE_DIR"])
            ?? (absolute(environment["XDG_CACHE_HOME"]) ?? home.map { $0 + "/.cache" }).map { $0 + "/aws-elevate" }
        keyPath = (absolute(environment["XDG_CONFIG_HOME"]) ?? home.map { $0 + "/.config" })
            .map { $0 + "/aws-elevate/cache.key" }
        runtimeDirectory = absolute(environment["XDG_RUNTIME_DIR"])
    }
}

/// `path` when it is absolute (the XDG rule: relative values are ignored), without trailing slashes.
private func absolute(_ path: String?) -> String? {
    guard let path, path.utf8.first == UInt8(ascii: "/"), !path.utf8.contains(0) else { return nil }
    var bytes = Array(path.utf8)
    while bytes.count > 1 && bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
    return String(decoding: bytes, as: UTF8.self)
}

/// `HOME`, else the password database's home of the effective user.
private func homeDirectory(_ environment: [String: String]) -> String? {
    if let home = absolute(environment["HOME"]) { return home }
    var entry = passwd()
    var result: UnsafeMutablePointer<passwd>?
    var buffer = [CChar](repeating: 0, count: 4096)
    guard getpwuid_r(geteuid(), &entry, &buffer, buffer.count, &result) == 0, result != nil, let dir = entry.pw_dir
    else { return nil }
    return absolute(String(cString: dir))
}
