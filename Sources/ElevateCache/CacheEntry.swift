#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ElevateCore

/// One cached session and what `aws-elevate cache list` shows about it.
public struct CacheEntry: Sendable, Equatable {
    /// The full name of the key it is stored under; checked on every read.
    public var key: String
    /// The profile that was asked for.
    public var profile: String
    /// The last hop's role ARN (empty when the plan has no hop).
    public var role: String
    /// The session; its `expiration` is always set.
    public var credentials: Credentials
    /// When the session was obtained: with the expiration, it gives the session's lifetime.
    public var fetchedAt: Date

    public init(key: String, profile: String, role: String, credentials: Credentials, fetchedAt: Date) {
        self.key = key
        self.profile = profile
        self.role = role
        self.credentials = credentials
        self.fetchedAt = fetchedAt
    }

    /// When the session stops working; entries are only made from sessions that expire.
    public var expiration: Date { credentials.expiration ?? fetchedAt }
}

/// The payload of an entry: length-prefixed fields in a fixed order behind the ``CacheFormat`` version byte.
/// Compact, with no Foundation parsing on the hit path, and strict: any truncation or trailing byte makes it invalid.
package enum EntryCodec {
    package static func encode(_ entry: CacheEntry) -> [UInt8] {
        var writer = Writer()
        writer.bytes.append(CacheFormat.versionByte)
        writer.string(entry.key)
        writer.string(entry.profile)
        writer.string(entry.role)
        let credentials = entry.credentials
        writer.string(credentials.accessKeyId)
        writer.string(credentials.secretAccessKey)
        writer.optional(credentials.sessionToken)
        writer.date(entry.expiration)
        writer.date(entry.fetchedAt)
        writer.optional(credentials.principalArn)
        writer.bytes.append(credentials.origin == .role ? 1 : 0)
        if let machine = credentials.machine {
            writer.bytes.append(1)
            writer.optional(machine.instanceId)
            writer.optional(machine.region)
        } else {
            writer.bytes.append(0)
        }
        return writer.bytes
    }

    /// The entry in `bytes`, `nil` when they are not exactly one valid payload of this version or its credentials
    /// break ``CredentialRules``.
    package static func decode(_ bytes: [UInt8]) -> CacheEntry? {
        var reader = Reader(bytes: bytes)
        guard reader.byte() == CacheFormat.versionByte,
              let key = reader.string(), let profile = reader.string(), let role = reader.string(),
              let keyId = reader.string(), let secret = reader.string(), let token = reader.optional(),
              let expiration = reader.date(), let fetchedAt = reader.date(), let principal = reader.optional(),
              let origin = reader.byte(), origin <= 1, let hasMachine = reader.byte(), hasMachine <= 1
        else { return nil }
        var machine: MachineFacts?
        if hasMachine == 1 {
            guard let instanceId = reader.optional(), let region = reader.optional() else { return nil }
            machine = MachineFacts(instanceId: instanceId, region: region)
        }
        guard reader.isAtEnd, !keyId.isEmpty, !secret.isEmpty else { return nil }
        let credentials = Credentials(
            accessKeyId: keyId, secretAccessKey: secret, sessionToken: token, expiration: expiration,
            principalArn: principal, origin: origin == 1 ? .role : .user, machine: machine)
        // An entry is a way in like any source: a keyring item planted by another program on the session bus must
        // keep the same rules, or it is discarded and refetched like a tampered one.
        guard CredentialRules.violation(in: credentials) == nil else { return nil }
        return CacheEntry(key: key, profile: profile, role: role, credentials: credentials, fetchedAt: fetchedAt)
    }

    private struct Writer {
        var bytes: [UInt8] = []

        mutating func integer(_ value: UInt64, size: Int) {
            for shift in stride(from: (size - 1) * 8, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            }
        }

        mutating func string(_ text: String) {
            let utf8 = Array(text.utf8)
            integer(UInt64(utf8.count), size: 4)
            bytes += utf8
        }

        mutating func optional(_ text: String?) {
            if let text {
                bytes.append(1)
                string(text)
            } else {
                bytes.append(0)
            }
        }

        /// Milliseconds since 1970, signed.
        mutating func date(_ date: Date) {
            let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
            integer(UInt64(bitPattern: milliseconds), size: 8)
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var isAtEnd: Bool { offset == bytes.count }

        mutating func byte() -> UInt8? {
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func integer(size: Int) -> UInt64? {
            guard bytes.count - offset >= size else { return nil }
            var value: UInt64 = 0
            for _ in 0..<size {
                value = value << 8 | UInt64(bytes[offset])
                offset += 1
            }
            return value
        }

        mutating func string() -> String? {
            guard let count = integer(size: 4), count <= UInt64(bytes.count - offset) else { return nil }
            let slice = bytes[offset..<offset + Int(count)]
            offset += Int(count)
            return String(validating: slice, as: UTF8.self)
        }

        /// `.some(nil)` for an absent value, `nil` for malformed input.
        mutating func optional() -> String?? {
            switch byte() {
            case 0: return .some(nil)
            case 1:
                guard let text = string() else { return nil }
                return .some(text)
            default: return nil
            }
        }

        /// Only times from 1970 to 9999, the years the entry's times are written in: beyond 2^53 ms a time would not
        /// even survive the round trip through `Date`.
        mutating func date() -> Date? {
            guard let raw = integer(size: 8), raw < 253_402_300_800_000 else { return nil }
            return Date(timeIntervalSince1970: Double(Int64(bitPattern: raw)) / 1000)
        }
    }
}
