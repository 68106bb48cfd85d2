import ElevateCore

/// Errors of the `imds` source. Messages name the endpoint and quote offending values; they never contain a
/// secret key, a session token or an IMDSv2 token.
public enum IMDSSourceError: ElevateFailure, Equatable {
    /// `AWS_EC2_METADATA_DISABLED` is `true`, but the profile asked for the instance role.
    case disabled(by: String)
    /// A setting has a value that cannot be used; `name` says where it was found.
    case invalidSetting(name: String, value: String, expected: String)
    /// The IMDSv2 token request failed, and IMDSv1 was not allowed (`v1` says why).
    case tokenFailed(endpoint: String, reason: String, v1: IMDSSettings.V1Fallback)
    /// After falling back to IMDSv1, the service refused a request without a token: it requires IMDSv2.
    case v1Refused(endpoint: String, tokenFailure: String)
    /// A fresh token was rejected with 401 right after the previous one was.
    case tokenRejected(endpoint: String, path: String)
    /// The role listing is empty or 404: the instance has no instance profile.
    case noRole(endpoint: String)
    /// No connection could be made to the endpoint.
    case unreachable(endpoint: String, detail: String)
    /// A request got no answer within the timeout, on every attempt.
    case timedOut(endpoint: String, path: String, timeout: String, attempts: Int)
    /// A request got a status that is neither success nor one the protocol explains.
    case unexpectedStatus(endpoint: String, path: String, status: Int)
    /// A request failed for another reason (a broken transfer, TLS, an oversized answer, libcurl missing).
    case requestFailed(endpoint: String, path: String, detail: String)
    /// An answer that cannot be what the service sends, such as an empty token or a malformed role name.
    case invalidResponse(endpoint: String, path: String, detail: String)
    /// The credentials document has a `Code` other than `Success`.
    case notSuccess(endpoint: String, role: String, code: String, message: String?)
    /// The credentials document is not a JSON object.
    case malformedCredentials(endpoint: String, role: String)
    /// The credentials document lacks a field.
    case missingField(endpoint: String, role: String, field: String)
    /// A field of the credentials document is empty or not a string.
    case invalidField(endpoint: String, role: String, field: String)
    /// The `Expiration` of the credentials document is not an RFC 3339 time.
    case badExpiration(endpoint: String, role: String, value: String)

    public var category: FailureCategory {
        switch self {
        case .disabled, .invalidSetting: .configuration
        default: .credentials
        }
    }

    /// The instance refuses its role: none is attached, the service refuses the role's credentials (a `Code` other
    /// than `Success`), or answers 403, which it does when its metadata access is turned off. A 401 is not: it is
    /// about the IMDSv2 session token, which the client renews, and one that persists is the service failing.
    public var isDenial: Bool {
        switch self {
        case .noRole, .notSuccess: true
        case .unexpectedStatus(_, _, let status): status == 403
        // `reason` and `tokenFailure` are "status N" when the token request got an answer (IMDSSource.openSession).
        case .tokenFailed(_, let reason, _): reason == "status 403"
        case .v1Refused(_, let tokenFailure): tokenFailure == "status 403"
        default: false
        }
    }

    public var problem: String {
        switch self {
        case .disabled(let name):
            "the instance metadata service is disabled by \(name)=true, but the profile asks for the instance role"
        case .invalidSetting(let name, let value, let expected):
            "invalid value \(quoted(value)) for \(singleLine(name)): expected \(expected)"
        case .tokenFailed(let endpoint, let reason, _):
            "the IMDSv2 token request to \(quoted(endpoint)) failed: \(singleLine(reason))"
        case .v1Refused(let endpoint, let tokenFailure):
            "the instance metadata service at \(quoted(endpoint)) refused IMDSv1 (status 401) after the IMDSv2 "
                + "token request failed: \(singleLine(tokenFailure))"
        case .tokenRejected(let endpoint, let path):
            "the instance metadata service at \(quoted(endpoint)) rejected a fresh IMDSv2 token for \(quoted(path)) "
                + "(status 401)"
        case .noRole(let endpoint):
            "no IAM role is attached to this instance: the instance metadata service at \(quoted(endpoint)) lists none"
        case .unreachable(let endpoint, let detail):
            "cannot reach the instance metadata service at \(quoted(endpoint)): \(singleLine(detail))"
        case .timedOut(let endpoint, let path, let timeout, let attempts):
            "the instance metadata service at \(quoted(endpoint)) did not answer \(quoted(path)) within \(timeout) "
                + "(\(attempts) \(attempts == 1 ? "attempt" : "attempts"))"
        case .unexpectedStatus(let endpoint, let path, let status):
            "the instance metadata service at \(quoted(endpoint)) answered \(quoted(path)) with status \(status)"
        case .requestFailed(let endpoint, let path, let detail):
            "the request for \(quoted(path)) to \(quoted(endpoint)) failed: \(singleLine(detail))"
        case .invalidResponse(let endpoint, let path, let detail):
            "the instance metadata service at \(quoted(endpoint)) answered \(quoted(path)) with \(singleLine(detail))"
        case .notSuccess(let endpoint, let role, let code, let message):
            "the instance metadata service at \(quoted(endpoint)) returned Code \(quoted(code)) for role "
                + "\(quoted(role))" + (message.map { ": \(quoted($0))" } ?? "")
        case .malformedCredentials(let endpoint, let role):
            "the credentials of role \(quoted(role)) from \(quoted(endpoint)) are not a JSON object"
        case .missingField(let endpoint, let role, let field):
            "the credentials of role \(quoted(role)) from \(quoted(endpoint)) have no \(quoted(field))"
        case .invalidField(let endpoint, let role, let field):
            "the credentials of role \(quoted(role)) from \(quoted(endpoint)) have an empty or non-text "
                + "\(quoted(field))"
        case .badExpiration(let endpoint, let role, let value):
            "the credentials of role \(quoted(role)) from \(quoted(endpoint)) have Expiration \(quoted(value)), "
                + "which is not an RFC 3339 time"
        }
    }

    public var remedy: String {
        switch self {
        case .disabled(let name):
            "unset \(name), or use a profile whose credentials do not come from credential_source = Ec2InstanceMetadata"
        case .invalidSetting:
            "correct the setting or remove it"
        case .tokenFailed(_, _, .disabled(let name)):
            "IMDSv1 is not tried because \(singleLine(name)) is true; make IMDSv2 work (in a container the "
                + "instance's metadata hop limit must be at least 2)"
        case .tokenFailed:
            "make IMDSv2 work (in a container the instance's metadata hop limit must be at least 2); if this "
                + "instance serves only IMDSv1, allow it with AWS_ELEVATE_IMDS_V1=allow or elevate_imds_v1 = allow "
                + "in the profile"
        case .v1Refused:
            "the instance requires IMDSv2: make the token request (PUT /latest/api/token) succeed, for instance by "
                + "raising the metadata hop limit to 2 in a container"
        case .tokenRejected:
            "try again; if it persists, check that nothing between aws-elevate and the service alters requests"
        case .noRole:
            "attach an instance profile to the instance, or use a profile with another credential source"
        case .unreachable:
            "run on an EC2 instance, or point AWS_EC2_METADATA_SERVICE_ENDPOINT at the metadata service"
        case .timedOut:
            "check that the metadata service is reachable, or raise AWS_METADATA_SERVICE_TIMEOUT or "
                + "AWS_METADATA_SERVICE_NUM_ATTEMPTS"
        case .unexpectedStatus, .requestFailed:
            "try again; if it persists, rerun with --debug and check the instance's metadata options"
        case .invalidResponse, .malformedCredentials, .missingField, .invalidField, .badExpiration:
            "check that the endpoint is the EC2 instance metadata service, and try again"
        case .notSuccess(_, let role, _, _):
            "check that role \(quoted(role)) trusts ec2.amazonaws.com and that its instance profile is attached"
        }
    }
}

/// A value in single quotes, on one line and at most 120 characters long (it may come from a server).
func quoted(_ value: String) -> String {
    quotedForMessage(value, limit: 120)
}
