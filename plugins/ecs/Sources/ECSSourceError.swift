import ElevateCore

/// Errors of the `ecs` source. Messages name the endpoint as `scheme://host[:port]` only (an ECS relative URI is a
/// capability) and never contain the authorization token, a secret key or a session token.
public enum ECSSourceError: ElevateFailure, Equatable {
    /// Neither URI variable is set, but the profile asked for the container's credentials.
    case notConfigured
    /// A URI variable holds something that is not a usable URI; `reason` says what, without quoting the value.
    case invalidURI(variable: String, reason: String)
    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI` is plain `http://` to a host botocore does not allow.
    case hostNotAllowed(host: String)
    /// The token (from `origin`, a variable or a file) holds a line break or another control character.
    case invalidToken(origin: String)
    /// The token file cannot be read.
    case invalidTokenFile(path: String, reason: String)
    /// The endpoint refused the request (401 or 403): a wrong or missing token.
    case refused(endpoint: String, variable: String, status: Int)
    /// The endpoint answered with another status that is not success, on every attempt.
    case unexpectedStatus(endpoint: String, variable: String, status: Int, attempts: Int)
    /// No connection could be made, on every attempt.
    case unreachable(endpoint: String, variable: String, detail: String, attempts: Int)
    /// No answer within the timeout, on every attempt.
    case timedOut(endpoint: String, variable: String, attempts: Int)
    /// The request failed for another reason (TLS, an oversized answer, libcurl missing).
    case requestFailed(endpoint: String, variable: String, detail: String)
    /// The answer is not a usable credentials document (on every attempt, for one that is not JSON).
    case badDocument(endpoint: String, variable: String, reason: String)

    public var category: FailureCategory {
        switch self {
        case .invalidURI, .hostNotAllowed, .invalidToken: .configuration
        default: .credentials
        }
    }

    /// The endpoint, or the token it needs, refuses: no cached session stands in for that.
    public var isDenial: Bool {
        switch self {
        case .refused, .invalidTokenFile: true
        default: false
        }
    }

    public var problem: String {
        switch self {
        case .notConfigured:
            "credential_source = EcsContainer, but neither \(ECSSettings.relativeVariable) nor "
                + "\(ECSSettings.fullVariable) is set"
        case .invalidURI(let variable, let reason):
            "\(variable) is not a usable URI: \(reason)"
        case .hostNotAllowed(let host):
            "\(ECSSettings.fullVariable) names host \(quoted(host)) over plain http://, which is neither a loopback "
                + "address nor one of " + ECSSettings.allowedHosts.joined(separator: ", ")
        case .invalidToken(let origin):
            "the authorization token in \(singleLine(origin)) is not a legal header value (a line break or another "
                + "control character)"
        case .invalidTokenFile(let path, let reason):
            "the authorization token file \(quoted(path)) (\(ECSSettings.tokenFileVariable)) cannot be used: "
                + singleLine(reason)
        case .refused(let endpoint, let variable, let status):
            "the container credential endpoint \(quoted(endpoint)) (\(variable)) refused the request with status "
                + "\(status)"
        case .unexpectedStatus(let endpoint, let variable, let status, let attempts):
            "the container credential endpoint \(quoted(endpoint)) (\(variable)) answered with status \(status) "
                + attemptsText(attempts)
        case .unreachable(let endpoint, let variable, let detail, let attempts):
            "cannot reach the container credential endpoint \(quoted(endpoint)) (\(variable)) "
                + "\(attemptsText(attempts)): \(singleLine(detail))"
        case .timedOut(let endpoint, let variable, let attempts):
            "the container credential endpoint \(quoted(endpoint)) (\(variable)) did not answer in time "
                + attemptsText(attempts)
        case .requestFailed(let endpoint, let variable, let detail):
            "the request to the container credential endpoint \(quoted(endpoint)) (\(variable)) failed: "
                + singleLine(detail)
        case .badDocument(let endpoint, let variable, let reason):
            "the container credential endpoint \(quoted(endpoint)) (\(variable)) gave no usable credentials: "
                + singleLine(reason)
        }
    }

    public var remedy: String {
        switch self {
        case .notConfigured:
            "run where the container agent sets them (ECS, EKS Pod Identity, CodeBuild), or use another "
                + "credential_source"
        case .invalidURI(let variable, _):
            variable == ECSSettings.relativeVariable
                ? "set it to the path the ECS agent gives, such as /v2/credentials/ID, or unset it"
                : "set it to an http:// or https:// URL such as http://169.254.170.23/v1/credentials, or unset it"
        case .hostNotAllowed:
            "use https://, a loopback address, or one of the container agents' addresses"
        case .invalidToken(let origin):
            "remove the line break (a token file must not end with a newline, as in botocore) from "
                + singleLine(origin)
        case .invalidTokenFile:
            "point \(ECSSettings.tokenFileVariable) at the token file the container agent writes, readable by this "
                + "user"
        case .refused:
            "check \(ECSSettings.tokenVariable) or \(ECSSettings.tokenFileVariable): the endpoint needs the token "
                + "its agent issued"
        case .unexpectedStatus, .unreachable, .timedOut, .requestFailed:
            "check that the container credential agent runs and the variables point at it, then try again"
        case .badDocument:
            "check that the variables point at a container credential endpoint"
        }
    }
}

private func attemptsText(_ attempts: Int) -> String {
    attempts == 1 ? "(1 attempt)" : "(\(attempts) attempts)"
}

/// A value in single quotes, on one line and at most 120 characters long.
func quoted(_ value: String) -> String {
    quotedForMessage(value, limit: 120)
}
