import ElevateCore

/// Source plugin `profile`: static keys (`aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`)
/// from a profile in the credentials or config file.
public struct ProfileSource: SourcePlugin {
    public let name = "profile"
    public let summary = "static keys (aws_access_key_id, aws_secret_access_key) of a profile in ~/.aws"
    /// Static keys, where botocore takes them: the credentials file's before `credential_process`, the config
    /// file's after it.
    public var selection: SourceSelection {
        SourceSelection(ranks: [.credentialsFile, .configFile], settings: ["aws_access_key_id"])
    }

    public init() {}

    public func credentials(for step: Step, settings: Void, context: RunContext) async throws -> Credentials? {
        try read(step.profile)
    }

    /// The profile's key id; `nil` when it has none, so that the run reports the problem.
    public func cacheIdentity(for step: Step, settings: Void, context: RunContext) -> [String: String]? {
        guard let keyId = step.profile["aws_access_key_id"], !keyId.isEmpty else { return nil }
        return ["access_key_id": keyId]
    }

    public var readsLocally: Bool { true }

    /// The static keys of `profile`, `nil` when it has none.
    public func read(_ profile: Profile) throws(ProfileSourceError) -> Credentials? {
        let keyId = profile["aws_access_key_id"]
        let secret = profile["aws_secret_access_key"]
        if keyId == nil && secret == nil { return nil }
        guard let keyId, !keyId.isEmpty else {
            throw .missing(profile: profile.name, key: "aws_access_key_id")
        }
        guard let secret, !secret.isEmpty else {
            throw .missing(profile: profile.name, key: "aws_secret_access_key")
        }
        let token = [profile["aws_session_token"], profile["aws_security_token"]]
            .compactMap { $0 }.first { !$0.isEmpty }
        return Credentials(
            accessKeyId: keyId,
            secretAccessKey: secret,
            sessionToken: token,
            origin: token == nil ? .user : .role
        )
    }
}

/// Errors of the `profile` source.
public enum ProfileSourceError: ElevateFailure, Equatable {
    /// A key of the pair is missing or empty.
    case missing(profile: String, key: String)

    public var category: FailureCategory { .configuration }

    public var problem: String {
        switch self {
        case .missing(let profile, let key): "profile '\(profile)' has no value for '\(key)'"
        }
    }

    public var remedy: String {
        switch self {
        case .missing(let profile, let key): "add \(key) to [\(profile)] in ~/.aws/credentials"
        }
    }
}
