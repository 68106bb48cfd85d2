import ElevateCore
import ElevateSTS

/// Errors of the `sso` source. No message holds an access token, a refresh token, a client secret or a secret key;
/// text from the portal or the OIDC service is quoted on one line, cut short, with the access token removed.
public enum SSOSourceError: ElevateFailure, Equatable {
    /// An SSO setting of the profile is a sub-section (`key =` followed by indented lines), not a value.
    case notAValue(profile: String, key: String)
    /// `sso_session` names a `[sso-session NAME]` section the config file does not have.
    case noSuchSession(String)
    /// The profile and its session section give one setting different values (botocore refuses that too).
    case inconsistent(key: String, profileValue: String, sessionValue: String)
    /// Settings botocore's `SSOProvider` requires are missing, in its order.
    case missingSettings(profile: String, missing: [String])
    /// The session section lacks what botocore's token provider reads from it alone.
    case incompleteSession(String, missing: [String])
    /// A setting holds a value that cannot be used.
    case invalidSetting(profile: String, key: String, value: String, expected: String)
    /// An endpoint, CA bundle or retry setting cannot be used.
    case setting(profile: String, error: STSError)
    /// No home directory is known, so `~/.aws/sso/cache` cannot be found.
    case noHome(SSOLogin)
    /// No token is cached for the session: never logged in, or logged out.
    case noToken(SSOLogin, path: String)
    /// The token cache file cannot be used; `reason` never quotes its content.
    case badTokenFile(SSOLogin, path: String, reason: String)
    /// The access token has expired (and, for an `sso_session`, could not be refreshed).
    case expired(SSOLogin, at: String)
    /// The portal refused the access token (401): expired, revoked, or from another session.
    case unauthorized(SSOLogin, endpoint: String)
    /// The portal refused the role (400, 403, 404): not assigned to the user, or no such account or role.
    case refused(SSOLogin, endpoint: String, status: Int, detail: String, role: String, account: String)
    /// The portal or the OIDC service answered with a failure on every attempt (throttling, 5xx).
    case serviceFailed(service: String, endpoint: String, status: Int, detail: String, attempts: Int)
    /// No answer from the portal or the OIDC service, on every attempt.
    case unreachable(service: String, endpoint: String, detail: String, attempts: Int)
    /// The answer is not what the service sends.
    case badAnswer(service: String, endpoint: String, reason: String)
    /// The refreshed token could not be written back to the cache file.
    case notSaved(path: String, reason: String)
    /// The token file's name could not be computed (libcrypto missing or broken).
    case digest(detail: String)

    public var category: FailureCategory {
        switch self {
        case .notAValue, .noSuchSession, .inconsistent, .missingSettings, .incompleteSession, .invalidSetting:
            .configuration
        case .setting(_, let error): error.category
        default: .credentials
        }
    }

    /// A missing, broken, expired or refused session, or a refused role: no cached session stands in for that.
    public var isDenial: Bool {
        switch self {
        case .noHome, .noToken, .badTokenFile, .expired, .unauthorized, .refused: true
        default: false
        }
    }

    public var problem: String {
        switch self {
        case .notAValue(let profile, let key):
            "SSO (profile \(quoted(profile))): \(key) is a sub-section, not a value"
        case .noSuchSession(let name):
            "the sso-session \(quoted(name)) does not exist in the config file"
        case .inconsistent(let key, let profileValue, let sessionValue):
            "the value for \(key) is inconsistent between the profile (\(quoted(profileValue))) and the sso-session "
                + "(\(quoted(sessionValue)))"
        case .missingSettings(let profile, let missing):
            "the profile \(quoted(profile)) is configured to use SSO but is missing required configuration: "
                + join(missing, separator: ", ")
        case .incompleteSession(let name, let missing):
            "the sso-session \(quoted(name)) is missing required configuration: " + join(missing, separator: ", ")
        case .invalidSetting(let profile, let key, let value, let expected):
            "SSO (profile \(quoted(profile))): invalid value \(quoted(value)) for \(key): expected \(expected)"
        case .setting(let profile, let error):
            "SSO (profile \(quoted(profile))): \(error.problem)"
        case .noHome(let login):
            "no home directory is known (HOME is unset), so the SSO token for \(login.subject) cannot be found"
        case .noToken(let login, let path):
            "no SSO token is cached for \(login.subject) (\(quotedPath(path)) does not exist)"
        case .badTokenFile(let login, let path, let reason):
            "the SSO token cache file \(quotedPath(path)) of \(login.subject) cannot be used: \(singleLine(reason))"
        case .expired(let login, let at):
            switch login.form {
            case .session:
                "the SSO session \(login.subject) expired at \(at) and could not be refreshed"
            case .legacy:
                "the SSO session \(login.subject) expired at \(at)"
            }
        case .unauthorized(let login, let endpoint):
            "the SSO portal \(quoted(endpoint)) refused the access token of \(login.subject) (401): the session has "
                + "expired or was signed out"
        case .refused(_, let endpoint, let status, let detail, let role, let account):
            "the SSO portal \(quoted(endpoint)) refused role \(quoted(role)) in account \(quoted(account)) with status "
                + "\(status): \(detail)"
        case .serviceFailed(let service, let endpoint, let status, let detail, let attempts):
            "\(service) \(quoted(endpoint)) answered with status \(status) \(attemptsText(attempts)): \(detail)"
        case .unreachable(let service, let endpoint, let detail, let attempts):
            "cannot reach \(service) \(quoted(endpoint)) \(attemptsText(attempts)): \(singleLine(detail))"
        case .badAnswer(let service, let endpoint, let reason):
            "\(service) \(quoted(endpoint)) gave an unusable answer: \(singleLine(reason))"
        case .notSaved(let path, let reason):
            "the refreshed SSO token cannot be written to \(quotedPath(path)): \(singleLine(reason))"
        case .digest(let detail):
            "the SSO token cache file name cannot be computed: \(singleLine(detail))"
        }
    }

    public var remedy: String {
        switch self {
        case .notAValue, .invalidSetting, .missingSettings, .incompleteSession, .inconsistent:
            "correct the SSO settings as 'aws configure sso' writes them (sso_session with an [sso-session NAME] "
                + "section holding sso_start_url and sso_region, and sso_account_id and sso_role_name)"
        case .noSuchSession:
            "add the [sso-session NAME] section ('aws configure sso-session' writes one), or correct sso_session"
        case .setting(_, let error):
            error.remedy
        case .noHome(let login), .noToken(let login, _), .badTokenFile(let login, _, _), .expired(let login, _),
            .unauthorized(let login, _):
            "run \(login.command)"
        case .refused(let login, _, _, _, _, _):
            "check sso_account_id and sso_role_name in profile \(quoted(login.profile)): the user must be assigned "
                + "that permission set in that account"
        case .serviceFailed, .unreachable, .badAnswer:
            "check the network and the endpoint settings (AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL_SSO_OIDC, "
                + "[services]), then try again"
        case .notSaved:
            "make ~/.aws/sso/cache writable by this user, or run aws sso login"
        case .digest:
            "install OpenSSL's libcrypto (libssl3)"
        }
    }
}

/// Who logs in again, and how: the session name, or the profile of the legacy form.
public struct SSOLogin: Sendable, Equatable {
    public var form: SSOSettings.Form
    /// The profile holding the SSO settings.
    public var profile: String

    public init(form: SSOSettings.Form, profile: String) {
        self.form = form
        self.profile = profile
    }

    /// `sso-session 'NAME'` or `profile 'NAME'`.
    var subject: String {
        switch form {
        case .session(let name): "sso-session \(quoted(name))"
        case .legacy: "profile \(quoted(profile))"
        }
    }

    /// The command that logs in again, with the name quoted for a shell when it needs it.
    public var command: String {
        switch form {
        case .session(let name): "aws sso login --sso-session " + shellWord(name)
        case .legacy: "aws sso login --profile " + shellWord(profile)
        }
    }
}

/// `text` as one shell word: as it is when it holds only characters no shell treats specially, else quoted.
private func shellWord(_ text: String) -> String {
    let plain =
        !text.isEmpty
        && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default: "-_.:/@+=,".utf8.contains(byte)
            }
        }
    if plain { return text }
    return singleLine(shellQuote(text) ?? "'\(text)'")
}

private func attemptsText(_ attempts: Int) -> String {
    attempts == 1 ? "(1 attempt)" : "(\(attempts) attempts)"
}

/// A value in single quotes, on one line and at most 120 characters long.
func quoted(_ value: String) -> String {
    quotedForMessage(value, limit: 120)
}

/// A path in single quotes, on one line: long enough for any real home directory, still bounded.
func quotedPath(_ path: String) -> String {
    quotedForMessage(path, limit: 1024)
}
