import ElevateCore

/// Everything that can go wrong calling STS.
///
/// Messages carry STS's own error code and message on one line, and name the endpoint; they never contain a secret
/// access key, a session token or an MFA code (the client removes any that an answer echoes).
public enum STSError: ElevateFailure, Equatable {
    /// STS answered `action` with an error document: its `Code` and `Message` (already on one line and redacted).
    case service(action: String, status: Int, code: String, message: String, attempts: Int)
    /// No answer: resolving, connecting or the transfer failed; `detail` is the HTTP layer's explanation.
    case transport(action: String, endpoint: String, detail: String, attempts: Int)
    /// The TLS handshake with the endpoint failed, most often because its certificate chains to no trusted CA.
    /// `caBundle` is the PEM file that was the only trust (`caBundleSource` names its setting), nil for the system's
    /// CAs; `detail` is the TLS layer's explanation.
    case tls(
        action: String, endpoint: String, detail: String, caBundle: String?, caBundleSource: String?, attempts: Int)
    /// An answer that is not a usable STS document: a status without an error document, or a success that lacks
    /// a field.
    case unexpectedResponse(action: String, endpoint: String, status: Int, detail: String, attempts: Int)
    /// A setting has a value that cannot be used; `name` says where it was found.
    case invalidSetting(name: String, value: String, expected: String)
    /// The request could not be signed.
    case signingFailed(detail: String)

    public var category: FailureCategory {
        switch self {
        case .invalidSetting: .configuration
        case .service(_, _, let code, _, _) where code == "ValidationError": .configuration
        default: .credentials
        }
    }

    public var problem: String {
        switch self {
        case .service(_, let status, let code, let message, let attempts):
            let text = message.isEmpty ? "(no message, HTTP \(status))" : message
            return "sts \(singleLine(code)): \(text)\(Self.after(attempts))"
        case .transport(let action, _, let detail, let attempts):
            return "sts \(action) request failed: \(singleLine(detail))\(Self.after(attempts))"
        case .tls(let action, let endpoint, let detail, _, _, let attempts):
            return "sts \(action) at \(stsQuoted(endpoint)): TLS failed: \(singleLine(detail))\(Self.after(attempts))"
        case .unexpectedResponse(let action, let endpoint, let status, let detail, let attempts):
            return "sts at \(stsQuoted(endpoint)) answered \(action) with HTTP \(status) and \(singleLine(detail))"
                + Self.after(attempts)
        case .invalidSetting(let name, let value, let expected):
            return "invalid value \(stsQuoted(value)) for \(singleLine(name)): expected \(expected)"
        case .signingFailed(let detail):
            return "signing the sts request failed: \(singleLine(detail))"
        }
    }

    public var remedy: String {
        switch self {
        case .service(let action, _, let code, _, _):
            Self.remedy(code: code, action: action)
        case .transport:
            "check the network path to STS (HTTPS_PROXY, NO_PROXY, AWS_ENDPOINT_URL_STS, AWS_CA_BUNDLE) and try again"
        case .tls(_, _, _, let bundle?, let source, _):
            "the CA bundle \(stsQuoted(bundle))\(source.map { " (\(singleLine($0)))" } ?? "") replaces the system's "
                + "CAs: add the CA that issued the endpoint's certificate to that file, or correct the setting"
        case .tls:
            "the endpoint's certificate must chain to a CA the system trusts: check AWS_ENDPOINT_URL_STS, or name "
                + "a PEM file holding its CA in AWS_CA_BUNDLE or the profile's ca_bundle"
        case .unexpectedResponse:
            "check that the endpoint is STS (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, endpoint_url) and try again"
        case .invalidSetting:
            "correct the setting or remove it"
        case .signingFailed:
            "check the system clock and the credentials, and try again"
        }
    }

    /// Whether STS refused the caller: an authorisation or authentication error (its code, or HTTP 401 or 403 with an
    /// error document). Throttling, server errors, transport failures and answers that are not STS's are not.
    public var isDenial: Bool {
        guard case .service(_, let status, let code, _, _) = self else { return false }
        return status == 401 || status == 403 || Self.denialCodes.contains(code)
    }

    /// STS's codes for a caller it refuses: denied, an expired, unknown or badly signed credential or token.
    public static let denialCodes: Set<String> = [
        "AccessDenied", "AccessDeniedException", "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId",
        "UnrecognizedClientException", "SignatureDoesNotMatch", "IncompleteSignature", "InvalidSignatureException",
        "MissingAuthenticationToken", "InvalidIdentityToken", "IDPRejectedClaim", "RegionDisabledException",
    ]

    /// The STS error code, when STS answered with one.
    public var code: String? {
        if case .service(_, _, let code, _, _) = self { return code }
        return nil
    }

    private static func after(_ attempts: Int) -> String {
        attempts > 1 ? " (after \(attempts) attempts)" : ""
    }

    private static func remedy(code: String, action: String) -> String {
        switch code {
        case "AccessDenied":
            action == "AssumeRole"
                ? "check that the role's trust policy admits the calling principal (and its conditions: external_id, "
                    + "mfa_serial, source_identity, session_tags) and that the caller may call sts:AssumeRole on it"
                : "check the policies of the calling principal"
        case "ExpiredToken", "ExpiredTokenException":
            "the credentials of the previous step have expired: refresh them and try again"
        case "InvalidClientTokenId", "UnrecognizedClientException":
            "the access key id or session token of the previous step is not valid: check those credentials"
        case "SignatureDoesNotMatch":
            "the secret access key does not belong to the access key id: check the credentials of the previous step"
        case "IncompleteSignature", "InvalidSignatureException":
            "check the credentials of the previous step and the system clock"
        case "RegionDisabledException":
            "activate STS in that region (IAM account settings) or choose another region"
        case "ValidationError", "MalformedPolicyDocument", "PackedPolicyTooLarge":
            "check the role settings of the profile (duration_seconds within the role's maximum session duration, "
                + "session_tags, source_identity)"
        default:
            if RetryPolicy.throttlingCodes.contains(code) {
                "STS is throttling requests: wait a little and try again"
            } else {
                "see the STS documentation for this error code; rerun with --debug for the endpoint and region"
            }
        }
    }
}

/// A value in single quotes, on one line and at most 200 characters long (it may come from a file or a server).
func stsQuoted(_ value: String) -> String {
    let shortened = value.count > 200 ? value.prefix(197) + "..." : Substring(value)
    return "'" + singleLine(String(shortened)) + "'"
}
