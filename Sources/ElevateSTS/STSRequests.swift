/// The STS Query API version every request names.
let stsAPIVersion = "2011-06-15"

/// A session tag passed to sts:AssumeRole.
public struct SessionTag: Sendable, Equatable {
    /// The tag key (1–128 characters).
    public var key: String
    /// The tag value (0–256 characters).
    public var value: String

    /// A tag.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// The parameters of sts:AssumeRole. Values are sent as given: validating them is the caller's job.
public struct AssumeRoleRequest: Sendable, Equatable {
    /// `RoleArn`.
    public var roleArn: String
    /// `RoleSessionName`, 2–64 characters of `[\w+=,.@-]`.
    public var roleSessionName: String
    /// `DurationSeconds`; STS's default (one hour) when `nil`.
    public var durationSeconds: Int?
    /// `ExternalId`.
    public var externalId: String?
    /// `SerialNumber`: the MFA device, sent together with ``tokenCode``.
    public var serialNumber: String?
    /// `TokenCode`: the MFA code.
    public var tokenCode: String?
    /// `SourceIdentity`.
    public var sourceIdentity: String?
    /// `Tags.member.N.Key` / `.Value`, in order.
    public var tags: [SessionTag]
    /// `TransitiveTagKeys.member.N`, in order.
    public var transitiveTagKeys: [String]

    /// A request for `roleArn` as session `roleSessionName`.
    public init(
        roleArn: String,
        roleSessionName: String,
        durationSeconds: Int? = nil,
        externalId: String? = nil,
        serialNumber: String? = nil,
        tokenCode: String? = nil,
        sourceIdentity: String? = nil,
        tags: [SessionTag] = [],
        transitiveTagKeys: [String] = []
    ) {
        self.roleArn = roleArn
        self.roleSessionName = roleSessionName
        self.durationSeconds = durationSeconds
        self.externalId = externalId
        self.serialNumber = serialNumber
        self.tokenCode = tokenCode
        self.sourceIdentity = sourceIdentity
        self.tags = tags
        self.transitiveTagKeys = transitiveTagKeys
    }

    /// `Action`, `Version`, then the parameters in the order of botocore's AssumeRole shape, so that the body is the
    /// one botocore would send.
    public var parameters: [(name: String, value: String)] {
        var list: [(name: String, value: String)] = [
            ("Action", "AssumeRole"), ("Version", stsAPIVersion),
            ("RoleArn", roleArn), ("RoleSessionName", roleSessionName),
        ]
        if let durationSeconds { list.append(("DurationSeconds", String(durationSeconds))) }
        for (index, tag) in tags.enumerated() {
            list.append(("Tags.member.\(index + 1).Key", tag.key))
            list.append(("Tags.member.\(index + 1).Value", tag.value))
        }
        for (index, key) in transitiveTagKeys.enumerated() {
            list.append(("TransitiveTagKeys.member.\(index + 1)", key))
        }
        if let externalId { list.append(("ExternalId", externalId)) }
        if let serialNumber { list.append(("SerialNumber", serialNumber)) }
        if let tokenCode { list.append(("TokenCode", tokenCode)) }
        if let sourceIdentity { list.append(("SourceIdentity", sourceIdentity)) }
        return list
    }
}

extension AssumeRoleRequest: CustomStringConvertible {
    /// The role, session and options, without the MFA code.
    public var description: String {
        var parts = ["role \(roleArn)", "session \(roleSessionName)"]
        if let durationSeconds { parts.append("duration \(durationSeconds)s") }
        if externalId != nil { parts.append("with external id") }
        if let serialNumber { parts.append("mfa \(serialNumber)") }
        if let sourceIdentity { parts.append("source identity \(sourceIdentity)") }
        if !tags.isEmpty { parts.append("tags \(tags.map(\.key).joined(separator: ","))") }
        if !transitiveTagKeys.isEmpty { parts.append("transitive \(transitiveTagKeys.joined(separator: ","))") }
        return parts.joined(separator: ", ")
    }
}

/// The parameters of sts:AssumeRoleWithWebIdentity, which the web identity token authenticates: the request is
/// not signed. The token is a secret and appears in no description.
public struct AssumeRoleWithWebIdentityRequest: Sendable, Equatable, CustomStringConvertible {
    /// `RoleArn`.
    public var roleArn: String
    /// `RoleSessionName`, 2–64 characters of `[\w+=,.@-]`.
    public var roleSessionName: String
    /// `WebIdentityToken`: the OIDC token (a JWT), as read from the token file.
    public var webIdentityToken: String
    /// `DurationSeconds`; STS's default (one hour) when `nil`.
    public var durationSeconds: Int?

    public init(roleArn: String, roleSessionName: String, webIdentityToken: String, durationSeconds: Int? = nil) {
        self.roleArn = roleArn
        self.roleSessionName = roleSessionName
        self.webIdentityToken = webIdentityToken
        self.durationSeconds = durationSeconds
    }

    /// `Action`, `Version`, then the parameters in the order of botocore's shape.
    public var parameters: [(name: String, value: String)] {
        var list: [(name: String, value: String)] = [
            ("Action", "AssumeRoleWithWebIdentity"), ("Version", stsAPIVersion),
            ("RoleArn", roleArn), ("RoleSessionName", roleSessionName), ("WebIdentityToken", webIdentityToken),
        ]
        if let durationSeconds { list.append(("DurationSeconds", String(durationSeconds))) }
        return list
    }

    /// The role and session, without the token.
    public var description: String {
        "role \(roleArn), session \(roleSessionName)" + (durationSeconds.map { ", duration \($0)s" } ?? "")
    }
}

/// The parameters of sts:GetCallerIdentity.
let getCallerIdentityParameters: [(name: String, value: String)] = [
    ("Action", "GetCallerIdentity"), ("Version", stsAPIVersion),
]
