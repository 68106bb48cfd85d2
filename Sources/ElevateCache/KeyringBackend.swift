#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ElevateCore
import ElevateCrypto
import ElevateKeyring

/// Whether a Secret Service can serve the cache now.
public enum KeyringState: Sendable, Equatable {
    case available
    /// It cannot, for `reason` (no service, a locked or missing default collection, a time-out).
    case unavailable(reason: String)
}

/// What the cache needs of a Secret Service keyring: items found by a key, holding a secret and plain attributes.
/// ``SecretServiceKeyring`` is the real one; tests use stand-ins.
public protocol KeyringStore: Sendable {
    /// Whether the keyring can serve now, quickly and without ever prompting.
    func availability() -> KeyringState
    /// The secret stored under `key`, `nil` when there is none.
    func lookup(key: String) throws -> [UInt8]?
    /// Stores `secret` under `key`, replacing what was there.
    func store(key: String, label: String, attributes: [String: String], secret: [UInt8]) throws
    /// Removes the item under `key`, if any.
    func remove(key: String) throws
    /// The attributes of every item of aws-elevate's schema, the key included (attribute ``KeyringBackend/keyAttribute``).
    func list() throws -> [[String: String]]
    /// The SHA-256 digest of `bytes` (for the cache key), from the keyring's own libraries when it has some, so
    /// that a keyring hit loads no libcrypto. The default is OpenSSL's.
    func sha256(_ bytes: [UInt8]) throws -> [UInt8]
    /// Whether the keyring may answer at all (for the Secret Service: a session bus may be reachable), decided
    /// without loading anything. The default is true.
    var mayBeReachable: Bool { get }
}

extension KeyringStore {
    public func sha256(_ bytes: [UInt8]) throws -> [UInt8] { try ElevateCrypto.sha256(bytes) }
    public var mayBeReachable: Bool { true }
}

/// Sessions as items of the Secret Service keyring (gnome-keyring, KWallet): the keyring encrypts them at rest and
/// releases them to the logged-in user's session only. The secret is the entry payload; the attributes hold only
/// what `cache list` shows (profile, role, expiry), never a secret.
public struct KeyringBackend: CacheBackend {
    public let name = "keyring"
    public let keyring: any KeyringStore

    /// The attribute holding the entry's key name.
    public static let keyAttribute = "key"

    public init(keyring: any KeyringStore) {
        self.keyring = keyring
    }

    public func load(_ key: CacheKey) throws(CacheError) -> CacheLookup {
        let secret: [UInt8]?
        do {
            secret = try keyring.lookup(key: key.name)
        } catch {
            return .unavailable(reason: "keyring lookup failed: \(describe(error))")
        }
        guard let secret else { return .missing }
        guard let entry = EntryCodec.decode(secret), entry.key == key.name else {
            return .discarded(reason: "the keyring item is not a valid entry for this key")
        }
        return .found(entry)
    }

    public func store(_ entry: CacheEntry, under key: CacheKey) throws(CacheError) -> String? {
        let attributes = [
            "profile": entry.profile,
            "role_arn": entry.role,
            "expires": Timestamp.format(entry.expiration),
            "created": Timestamp.format(entry.fetchedAt),
        ]
        let role = entry.role.isEmpty ? "" : " (\(entry.role))"
        do {
            try keyring.store(
                key: key.name, label: "aws-elevate session for profile \(entry.profile)\(role)",
                attributes: attributes, secret: EntryCodec.encode(entry))
            return nil
        } catch {
            return "keyring store failed: \(describe(error))"
        }
    }

    public func list() throws(CacheError) -> [CacheListing] {
        let items: [[String: String]]
        do { items = try keyring.list() } catch { return [] }
        return items.map { attributes in
            CacheListing(
                profile: attributes["profile"], role: attributes["role_arn"],
                expiration: attributes["expires"].flatMap(Timestamp.parse), backend: name,
                location: attributes[Self.keyAttribute] ?? "")
        }.sorted { ($0.profile ?? "", $0.location) < ($1.profile ?? "", $1.location) }
    }

    public func remove(profile: String?) throws(CacheError) -> CacheRemoval {
        let items: [[String: String]]
        do { items = try keyring.list() } catch { return CacheRemoval() }
        var removed = 0
        for attributes in items where profile == nil || attributes["profile"] == profile {
            guard let key = attributes[Self.keyAttribute], (try? keyring.remove(key: key)) != nil else { continue }
            removed += 1
        }
        return CacheRemoval(sessions: removed)
    }

    private func describe(_ error: any Error) -> String {
        singleLine(String(describing: error))
    }
}

/// The Secret Service through ``ElevateKeyring/Keyring``: libsecret is loaded on the first call that needs a bus,
/// and every call is bounded by the keyring's timeout.
public struct SecretServiceKeyring: KeyringStore {
    public let keyring: Keyring

    public init(timeout: Duration = .seconds(2)) {
        keyring = Keyring(timeout: timeout)
    }

    public func availability() -> KeyringState {
        switch keyring.availability() {
        case .available: .available
        case .unavailable(let reason): .unavailable(reason: reason)
        }
    }

    public func lookup(key: String) throws -> [UInt8]? { try keyring.lookup(key: key) }

    public func store(key: String, label: String, attributes: [String: String], secret: [UInt8]) throws {
        try keyring.store(key: key, label: label, attributes: attributes, secret: secret)
    }

    public func remove(key: String) throws { try keyring.remove(key: key) }

    public func list() throws -> [[String: String]] { try keyring.list() }

    public func sha256(_ bytes: [UInt8]) throws -> [UInt8] { try Keyring.sha256(bytes) }

    public var mayBeReachable: Bool { Keyring.sessionBusMayBeReachable }
}
