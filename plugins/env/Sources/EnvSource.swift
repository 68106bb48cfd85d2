#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ElevateCore

/// Source plugin `env`: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` and
/// `AWS_CREDENTIAL_EXPIRATION` from the environment (botocore's `credential_source = Environment`).
public struct EnvSource: SourcePlugin {
    public let name = "env"
    public let summary = "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN from the environment"
    /// `credential_source = Environment`.
    public var selection: SourceSelection { SourceSelection(credentialSource: "Environment") }

    public init() {}

    /// The profile asked for the environment's keys, so their absence is an error rather than "does not apply".
    public func credentials(for step: Step, settings: Void, context: RunContext) async throws -> Credentials? {
        guard let credentials = try read(context.environment) else { throw EnvSourceError.notSet }
        return credentials
    }

    /// The environment's key id; `nil` when it is unset, so that the run reports the problem.
    public func cacheIdentity(for step: Step, settings: Void, context: RunContext) -> [String: String]? {
        guard let keyId = context.environment["AWS_ACCESS_KEY_ID"], !keyId.isEmpty else { return nil }
        return ["access_key_id": keyId]
    }

    public var readsLocally: Bool { true }

    /// The credentials in `environment`, `nil` when neither key variable is set.
    public func read(_ environment: [String: String]) throws(EnvSourceError) -> Credentials? {
        let keyId = environment["AWS_ACCESS_KEY_ID"]
        let secret = environment["AWS_SECRET_ACCESS_KEY"]
        if keyId == nil && secret == nil { return nil }
        guard let keyId else { throw .missing("AWS_ACCESS_KEY_ID", other: "AWS_SECRET_ACCESS_KEY") }
        guard let secret else { throw .missing("AWS_SECRET_ACCESS_KEY", other: "AWS_ACCESS_KEY_ID") }
        guard !keyId.isEmpty else { throw .empty("AWS_ACCESS_KEY_ID") }
        guard !secret.isEmpty else { throw .empty("AWS_SECRET_ACCESS_KEY") }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["AWS_SECURITY_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        var expiration: Date? = nil
        if let text = environment["AWS_CREDENTIAL_EXPIRATION"], !text.isEmpty {
            guard let date = Timestamp.parse(text) else { throw .badExpiration(text) }
            expiration = date
        }
        return Credentials(
            accessKeyId: keyId,
            secretAccessKey: secret,
            sessionToken: token,
            expiration: expiration,
            // Temporary keys in the environment are a role session as far as STS chaining limits go.
            origin: token == nil ? .user : .role
        )
    }
}

/// Errors of the `env` source.
public enum EnvSourceError: ElevateFailure, Equatable {
    /// One half of a key pair is set, the other is not.
    case missing(String, other: String)
    /// A key variable is set to the empty string.
    case empty(String)
    /// `AWS_CREDENTIAL_EXPIRATION` is not an RFC 3339 timestamp.
    case badExpiration(String)
    /// Neither key variable is set.
    case notSet

    public var category: FailureCategory { .credentials }

    public var problem: String {
        switch self {
        case .missing(let name, let other): "\(other) is set in the environment but \(name) is not"
        case .empty(let name): "\(name) is empty in the environment"
        case .badExpiration(let text): "AWS_CREDENTIAL_EXPIRATION '\(singleLine(text))' is not an RFC 3339 time"
        case .notSet: "credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"
        }
    }

    public var remedy: String {
        switch self {
        case .missing(let name, _): "export \(name) as well, or unset both"
        case .empty(let name): "set \(name) to the key, or unset both key variables"
        case .notSet: "export both variables, or use another credential_source"
        case .badExpiration: "set it like 2026-01-31T12:00:00Z, or unset it"
        }
    }
}
