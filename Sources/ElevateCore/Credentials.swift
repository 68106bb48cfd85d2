#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A set of AWS credentials and what is known about them.
public struct Credentials: Sendable, Equatable {
    /// Where credentials come from; STS caps sessions assumed with role credentials ("role chaining") at one hour.
    public enum Origin: Sendable, Equatable {
        /// Long-term keys of an IAM user (or an unknown origin).
        case user
        /// Temporary credentials of a role session (an instance role, or an earlier hop).
        case role
    }

    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// When the credentials stop working; `nil` for long-term keys.
    public var expiration: Date?
    /// The ARN they stand for, when known.
    public var principalArn: String?
    public var origin: Origin
    /// What the source learned about the machine (from instance metadata), for later hops' defaults.
    public var machine: MachineFacts?

    public init(
        accessKeyId: String,
        secretAccessKey: String,
        sessionToken: String? = nil,
        expiration: Date? = nil,
        principalArn: String? = nil,
        origin: Origin = .user,
        machine: MachineFacts? = nil
    ) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.principalArn = principalArn
        self.origin = origin
        self.machine = machine
    }

    /// The access key id with all but its last four characters hidden, for logs: `****ABCD`.
    public var maskedAccessKeyId: String { maskAccessKeyId(accessKeyId) }
}

extension Credentials: CustomStringConvertible {
    /// Never prints a secret.
    public var description: String {
        var parts = ["key \(maskedAccessKeyId)"]
        if sessionToken != nil { parts.append("with session token") }
        if let expiration { parts.append("expires \(Timestamp.format(expiration))") }
        if let principalArn { parts.append("as \(principalArn)") }
        return parts.joined(separator: ", ")
    }
}

/// Facts about the machine the credentials were issued to.
public struct MachineFacts: Sendable, Equatable {
    /// The EC2 instance id, e.g. `i-0123456789abcdef0`.
    public var instanceId: String?
    /// The region the machine runs in.
    public var region: String?

    public init(instanceId: String? = nil, region: String? = nil) {
        self.instanceId = instanceId
        self.region = region
    }
}

/// Hides all but the last four characters of an access key id.
public func maskAccessKeyId(_ id: String) -> String {
    "****" + String(id.suffix(4))
}
