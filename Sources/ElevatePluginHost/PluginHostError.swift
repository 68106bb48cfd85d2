import ElevateCore

/// Errors of process plugins. Messages name the plugin, its executable and the profile, never what the plugin
/// wrote to standard output (it may hold a secret).
public enum PluginHostError: ElevateFailure, Equatable {
    /// A setting of the profile that bounds the plugin has a value that cannot be used.
    case invalidSetting(key: String, profile: String, value: String, expected: String)
    /// The executable could not be started.
    case cannotStart(Origin, reason: String)
    /// Programs already run this deep inside each other.
    case tooDeep(Origin, depth: Int)
    /// Talking to the plugin failed.
    case io(Origin, reason: String)
    /// The plugin ran longer than its limit and was stopped, with what it started.
    case timedOut(Origin, seconds: Int)
    /// The plugin ended unsuccessfully; the last line of its standard error, if any.
    case failed(Origin, ending: String, stderr: String?)
    /// The plugin wrote more than ``ProcessPlugin/outputLimit`` bytes to standard output.
    case tooMuchOutput(Origin)
    /// The answer is not a usable answer of the protocol.
    case badAnswer(Origin, reason: String)
    /// The credentials of the answer break ``CredentialRules``.
    case invalidCredentials(Origin, violation: CredentialRules.Violation)

    /// Which plugin ran, for which step.
    public struct Origin: Sendable, Equatable {
        public var plugin: String
        public var path: String
        public var kind: PluginKind
        public var profile: String

        public init(plugin: String, path: String, kind: PluginKind, profile: String) {
            self.plugin = plugin
            self.path = path
            self.kind = kind
            self.profile = profile
        }

        /// `process plugin 'vault' ('/path/aws-elevate-plugin-vault', the source of profile 'dev')`.
        var text: String {
            let role = kind == .source ? "the source of" : "the elevation of"
            return "process plugin '\(plugin)' (\(quotedForMessage(path, limit: 200)), \(role) profile "
                + "'\(singleLine(profile))')"
        }
    }

    public var category: FailureCategory {
        switch self {
        case .invalidSetting, .cannotStart, .tooDeep: .configuration
        case .io, .timedOut, .failed, .tooMuchOutput, .badAnswer, .invalidCredentials: .credentials
        }
    }

    public var problem: String {
        switch self {
        case .invalidSetting(let key, let profile, let value, let expected):
            "invalid value \(quotedForMessage(value, limit: 120)) for \(key) in profile '\(singleLine(profile))': "
                + "expected \(expected)"
        case .cannotStart(let origin, let reason):
            "\(origin.text) cannot be started: \(reason)"
        case .tooDeep(let origin, let depth):
            "\(origin.text) not run: \(depth) programs already run inside each other "
                + "(\(ProcessPlugin.depthVariable)), which looks like one that runs aws-elevate again"
        case .io(let origin, let reason):
            "talking to \(origin.text) failed: \(reason)"
        case .timedOut(let origin, let seconds):
            "\(origin.text) did not finish within \(seconds) s and was stopped"
        case .failed(let origin, let ending, let stderr):
            "\(origin.text) \(ending)"
                + (stderr.map { ": \(singleLine($0))" } ?? " and wrote nothing to standard error")
        case .tooMuchOutput(let origin):
            "\(origin.text) wrote more than \(ProcessPlugin.outputLimit / 1024) KiB to standard output"
        case .badAnswer(let origin, let reason):
            "\(origin.text) gave no usable answer: \(reason)"
        case .invalidCredentials(let origin, let violation):
            "the credentials from \(origin.text) are refused: \(violation)"
        }
    }

    public var remedy: String {
        switch self {
        case .invalidSetting:
            "correct the setting or remove it (the default is \(ProcessPlugin.defaultTimeoutSeconds) s)"
        case .cannotStart:
            "check the executable's first line (#!) and that its interpreter is installed"
        case .tooDeep:
            "make the plugin get its credentials without running aws-elevate for the same profile"
        case .timedOut(let origin, _):
            "if it needs longer, raise \(ProcessPlugin.timeoutKey) in profile '\(singleLine(origin.profile))' "
                + "(at most \(ProcessPlugin.maximumTimeoutSeconds) s); else run the plugin yourself to see where it waits"
        case .io, .failed:
            "run the plugin yourself with a request on its standard input (plugins/README.md) to see what it needs"
        case .tooMuchOutput, .badAnswer:
            "make it print one {\"protocol\": \(PluginProtocol.version), \"credentials\": {…}} object "
                + "(plugins/README.md)"
        case .invalidCredentials:
            "check what the plugin returns (the value is not shown, since it may be a secret)"
        }
    }
}
