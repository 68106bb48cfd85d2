import ElevateCore

/// Failures of `exec` that are not about obtaining credentials.
enum ExecError: ElevateFailure, Equatable {
    /// A value for the child's environment holds a NUL byte, which no environment entry can carry.
    case notEnvironmentSafe(name: String)
    /// `exec --server` was given long-term keys: the container format needs a session token and an expiration.
    case notTemporary
    /// The loopback endpoint could not be set up; `call` names the failing system call.
    case endpoint(call: String, errno: Int32)
    /// The endpoint's token could not be made.
    case token(detail: String)

    var category: FailureCategory {
        switch self {
        case .notEnvironmentSafe, .notTemporary: .configuration
        case .endpoint, .token: .credentials
        }
    }

    var problem: String {
        switch self {
        case .notEnvironmentSafe(let name): "the value for '\(name)' holds a NUL byte"
        case .notTemporary: "the profile gives long-term keys, which have no expiration to serve"
        case .endpoint(let call, let errno): "the loopback credential endpoint failed: '\(call)' (errno \(errno))"
        case .token(let detail): "no random token for the credential endpoint: \(quotedForMessage(detail, limit: 200))"
        }
    }

    var remedy: String {
        switch self {
        case .notEnvironmentSafe: "check the profile's source of credentials"
        case .notTemporary: "use 'aws-elevate exec' without --server, or a profile with role_arn"
        case .endpoint: "check that the loopback interface is up and file descriptors are available"
        case .token: "check that libcrypto (OpenSSL 3) is installed"
        }
    }
}
