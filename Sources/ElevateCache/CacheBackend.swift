#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a backend found under a key.
public enum CacheLookup: Sendable, Equatable {
    case found(CacheEntry)
    case missing
    /// An entry is there but is not trusted (truncated, tampered, sealed with another key or of another version, a
    /// symbolic link): it is ignored, and the next store replaces it.
    case discarded(reason: String)
    /// The backend cannot be read now (an I/O or keyring error): the session is fetched and served uncached.
    case unavailable(reason: String)
}

/// One entry as `aws-elevate cache list` shows it; never a secret.
public struct CacheListing: Sendable, Equatable {
    /// The profile that was asked for; `nil` when the entry cannot be read.
    public var profile: String?
    /// The last hop's role ARN.
    public var role: String?
    public var expiration: Date?
    /// `file` or `keyring`.
    public var backend: String
    /// Where it is (a file name, or the keyring item's label).
    public var location: String

    public init(profile: String?, role: String?, expiration: Date?, backend: String, location: String) {
        self.profile = profile
        self.role = role
        self.expiration = expiration
        self.backend = backend
        self.location = location
    }
}

/// Where cached sessions are kept. Errors that must stop the command (insecure permissions) are thrown; everything
/// else degrades to fetching without the cache.
public protocol CacheBackend: Sendable {
    /// `file` or `keyring`, for debug lines and listings.
    var name: String { get }
    /// The entry under `key`.
    func load(_ key: CacheKey) throws(CacheError) -> CacheLookup
    /// Stores `entry` under `key`; returns why it could not, or `nil` when it did.
    func store(_ entry: CacheEntry, under key: CacheKey) throws(CacheError) -> String?
    /// Every entry.
    func list() throws(CacheError) -> [CacheListing]
    /// Removes the entries of `profile`, or all entries when it is `nil`; returns what was removed.
    func remove(profile: String?) throws(CacheError) -> CacheRemoval
}

/// What `cache clear` removed from one backend.
public struct CacheRemoval: Sendable, Equatable {
    /// Cached sessions.
    public var sessions: Int
    /// Files that belonged to no session: lock files, and temporary files of writes that did not finish (the file
    /// backend, when clearing all).
    public var leftovers: Int

    public init(sessions: Int = 0, leftovers: Int = 0) {
        self.sessions = sessions
        self.leftovers = leftovers
    }
}
