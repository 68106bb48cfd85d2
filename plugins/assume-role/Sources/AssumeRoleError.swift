import ElevateCore
import ElevateSTS

/// Errors of the `assume-role` elevation. Every message names the hop (counting from 1) and, once it is known, the
/// role ARN; none contains a secret key, a session token or an MFA code.
public enum AssumeRoleError: ElevateFailure, Equatable {
    /// A setting of the hop's profile has a value that cannot be used.
    case invalidSetting(hop: Int, profile: String, key: String, value: String, expected: String)
    /// The profile names an MFA device, no code was given, and there is no terminal to ask on.
    case noTerminalForMFA(hop: Int, roleArn: String, serial: String)
    /// The profile names an MFA device, no code was given, and the run may not ask (`--no-prompt`).
    case promptRefusedForMFA(hop: Int, roleArn: String, serial: String)
    /// The MFA code (from `--token-code` when `fromOption`, else typed at the prompt) is not six digits.
    case invalidTokenCode(hop: Int, roleArn: String, fromOption: Bool)
    /// STS (or the way to it) failed.
    case sts(hop: Int, roleArn: String, error: STSError)

    public var category: FailureCategory {
        switch self {
        case .invalidSetting, .invalidTokenCode: .configuration
        case .noTerminalForMFA, .promptRefusedForMFA: .credentials
        case .sts(_, _, let error): error.category
        }
    }

    public var isDenial: Bool {
        if case .sts(_, _, let error) = self { return error.isDenial }
        return false
    }

    public var problem: String {
        switch self {
        case .invalidSetting(let hop, let profile, let key, let value, let expected):
            "hop \(hop) (profile '\(singleLine(profile))'): invalid value \(quoted(value)) for \(key): "
                + "expected \(expected)"
        case .noTerminalForMFA(let hop, let roleArn, let serial):
            "hop \(hop) (\(singleLine(roleArn))): mfa_serial \(quoted(serial)) needs an MFA code, none was given "
                + "and there is no terminal to ask for one"
        case .promptRefusedForMFA(let hop, let roleArn, let serial):
            "hop \(hop) (\(singleLine(roleArn))): mfa_serial \(quoted(serial)) needs an MFA code and --no-prompt "
                + "forbids asking for one"
        case .invalidTokenCode(let hop, let roleArn, let fromOption):
            "hop \(hop) (\(singleLine(roleArn))): the MFA code \(fromOption ? "given with --token-code " : "")"
                + "is not six digits"
        case .sts(let hop, let roleArn, let error):
            "hop \(hop) (\(singleLine(roleArn))): \(error.problem)"
        }
    }

    public var remedy: String {
        switch self {
        case .invalidSetting:
            "correct the setting in the profile, or remove it"
        case .noTerminalForMFA:
            "pass the current code with --token-code CODE (aws-elevate credential-process --profile NAME "
                + "--token-code CODE), or run where /dev/tty is available"
        case .promptRefusedForMFA:
            "run it again where it may ask (in the shell: elevate --switch PROFILE), or pass --token-code CODE"
        case .invalidTokenCode:
            "give the six-digit code your MFA device shows now"
        case .sts(_, _, let error):
            error.remedy
        }
    }
}

/// A value in single quotes, on one line and at most 200 characters long.
func quoted(_ value: String) -> String {
    quotedForMessage(value, limit: 200)
}
