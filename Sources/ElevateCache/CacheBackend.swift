#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ElevateCrypto

/// What a backend found under a key.
public enum CacheLookup: Sendable, Equatable {
    case found(CacheEntry)
    case missing
    /// An entry is there but is not trusted (truncated, tampered, sealed with another key or of another version, a
    /// symbolic link): it is ignored, and the next store replaces it.
    case discarded(reason: String)
    /// The backend cannot be read now (an I/O or keyring error): the session is fetched and served uncached.
    case unavailable(CacheBackendFailure)
}

/// Why a backend cannot serve or store now. It never stops a command (that is ``CacheError``): the run goes on
/// with another backend or without the cache, saying why in a debug line or one warning.
public enum CacheBackendFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file system call on the cache's files failed (the file backend, or a lock file).
    case system(SystemError)
    /// The file backend's directory cannot be created.
    case cannotCreate(directory: String)
    /// The file backend's key file is missing where it must be.
    case noKeyFile(path: String)
    /// The file backend cannot seal an entry.
    case encryption(CryptoError)
    /// The file backend has no place: no home directory is known (`HOME` is unset and the user has none).
    case noHomeDirectory
    /// No keyring can serve now (no session bus, no Secret Service, a locked collection, a time-out).
    case keyringUnavailable(reason: String)
    /// A keyring call failed after the keyring said it can serve.
    case keyringCall(KeyringCall, message: String)

    /// The keyring calls whose failure is reported.
    public enum KeyringCall: String, Sendable {
        case lookup, store
    }

    /// The backend that failed: `file` or `keyring`.
    public var backend: String {
        switch self {
        case .system, .cannotCreate, .noKeyFile, .encryption, .noHomeDirectory: "file"
        case .keyringUnavailable, .keyringCall: "keyring"
        }
    }

    /// `the keyring cannot serve: <why>`: the reason a run gives when it passes this backend over.
    public var cannotServe: String { "the \(backend) cannot serve: \(self)" }

    public var description: String {
        switch self {
        case .system(let error): error.description
        case .cannotCreate(let directory): "cannot create '\(directory)'"
        case .noKeyFile(let path): "no key file '\(path)'"
        case .encryption(let error): "encryption failed: \(error)"
        case .noHomeDirectory: "no home directory is known"
        case .keyringUnavailable(let reason): reason
        case .keyringCall(let call, let message): "keyring \(call.rawValue) failed: \(message)"
        }
    }
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
    /// Where it is (a file name, or the keyring item's key).
    public var location: String
    /// The format version of an entry of another ``CacheFormat`` version, as found (a file name's number, a keyring
    /// item's `version` attribute, empty when it has none): such an entry is stale, never used again, and
    /// `cache clear` removes it. `nil` for entries of the current format.
    public var staleVersion: String?

    public init(
        profile: String?, role: String?, expiration: Date?, backend: String, location: String,
        staleVersion: String? = nil
    ) {
        self.profile = profile
        self.role = role
        self.expiration = expiration
        self.backend = backend
        self.location = location
        self.staleVersion = staleVersion
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
    func store(_ entry: CacheEntry, under key: CacheKey) throws(CacheError) -> CacheBackendFailure?
    /// Every entry, those of other format versions included (``CacheListing/staleVersion``).
    func list() throws(CacheError) -> [CacheListing]
    /// Removes the entries of `profile`, or all entries when it is `nil` (those of other format versions too);
    /// returns what was removed.
    func remove(profile: String?) throws(CacheError) -> CacheRemoval
}

/// What `cache clear` removed from one backend.
public struct CacheRemoval: Sendable, Equatable {
    /// Cached sessions.
    public var sessions: Int
    /// Files that belonged to no session: lock files, and temporary files of writes that did not finish (the file
    /// backend, when clearing all).
    public var leftovers: Int
    /// Stale entries: those of another ``CacheFormat`` version, which nothing reads any more.
    public var stale: Int

    public init(sessions: Int = 0, leftovers: Int = 0, stale: Int = 0) {
        self.sessions = sessions
        self.leftovers = leftovers
        self.stale = stale
    }
}
