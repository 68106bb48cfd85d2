import ElevateCore
import ElevateCrypto

/// The name of one cache entry: a versioned SHA-256 digest of everything that decides a plan's result and is known
/// without a network request (each step's plugin and cache-identity parts) and of the requested profile.
///
/// The digest hides the parts, so the name holds nothing secret, not even a key id. Changing the format of the
/// parts or of entries means a new ``version``: old entries are then simply never looked up again.
public struct CacheKey: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The version of the key derivation, part of every name.
    public static let version = 1

    /// The lower-case hexadecimal SHA-256 digest (64 characters).
    public let digest: String

    /// `aws-elevate/v1/<digest>`: the full name, bound to each entry as associated data.
    public var name: String { "aws-elevate/v\(Self.version)/\(digest)" }

    /// A short form for logs: `v1:0123456789ab…`.
    public var description: String { "v\(Self.version):\(digest.prefix(12))…" }

    /// The key of `profile` resolved to `steps`, each a plugin name and its identity parts.
    ///
    /// - Parameter sha256: the SHA-256 implementation (OpenSSL's by default; the keyring mode passes GLib's, which
    ///   it loads anyway). Every implementation gives the same key.
    /// - Throws: what `sha256` throws (``CryptoError`` when libcrypto cannot be loaded or cannot hash).
    public init(
        profile: String,
        steps: [(plugin: String, parts: [String: String])],
        sha256: ([UInt8]) throws -> [UInt8] = { bytes in try ElevateCrypto.sha256(bytes) }
    ) throws {
        var bytes: [UInt8] = []
        func field(_ text: String) {
            let utf8 = Array(text.utf8)
            bytes += Array(String(utf8.count).utf8)
            bytes.append(UInt8(ascii: ":"))
            bytes += utf8
        }
        field("aws-elevate session cache key")
        field("v\(Self.version)")
        field(profile)
        field(String(steps.count))
        for step in steps {
            field(step.plugin)
            field(String(step.parts.count))
            for (name, value) in step.parts.sorted(by: { $0.key < $1.key }) {
                field(name)
                field(value)
            }
        }
        digest = lowercaseHex(try sha256(bytes))
    }

    /// A key from its digest (64 lower-case hexadecimal characters), such as one read from a file name.
    public init?(digest: String) {
        guard digest.utf8.count == 64,
              digest.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { return nil }
        self.digest = digest
    }
}

/// Whether and how a plan is cached.
public enum CacheDerivation: Sendable, Equatable {
    /// The plan is cached under `key`; `role` is the last hop's role ARN, for listings.
    case cached(key: CacheKey, role: String)
    /// The plan is not cached, for `reason` (shown with `--debug`).
    case notCached(reason: String)

    /// The derivation for `plan`: every step must declare its identity, and a plan made of a local source alone
    /// (static or environment keys) is not cached. `sha256` hashes the key (see ``CacheKey``).
    public static func derive(
        plan: BoundPlan,
        context: RunContext,
        sha256: ([UInt8]) throws -> [UInt8] = { bytes in try ElevateCrypto.sha256(bytes) }
    ) -> CacheDerivation {
        let source = plan.source
        if plan.hops.isEmpty && source.readsLocally {
            return .notCached(reason: "the plan has no hop and source '\(source.name)' reads local keys")
        }
        guard let sourceParts = source.cacheIdentity(context: context) else {
            return .notCached(reason: "source '\(source.name)' declares no cache identity for this step")
        }
        var steps: [(plugin: String, parts: [String: String])] = [(source.name, sourceParts)]
        var role = ""
        for hop in plan.hops {
            guard let parts = hop.cacheIdentity(context: context) else {
                return .notCached(reason: "hop \(hop.hop) ('\(hop.name)') declares no cache identity")
            }
            steps.append((hop.name, parts))
            role = parts["role_arn"] ?? role
        }
        do {
            return .cached(key: try CacheKey(profile: plan.profile, steps: steps, sha256: sha256), role: role)
        } catch {
            return .notCached(reason: "cannot derive the cache key: \(error)")
        }
    }
}
