/// What kind of failure an error is; it decides the process exit code.
public enum FailureCategory: Sendable, Equatable {
    /// Credentials could not be obtained: network, IMDS, STS, cache. Exit code 1.
    case credentials
    /// The configuration is missing or invalid. Exit code 2.
    case configuration

    /// The process exit code for this category.
    public var exitCode: Int32 {
        switch self {
        case .credentials: 1
        case .configuration: 2
        }
    }
}

/// An error that can be shown to the user as one line: what went wrong, and what to do about it.
///
/// Every module has one error type conforming to this protocol. The command line prints
/// `aws-elevate: profile 'NAME': <problem> — <remedy>`. Neither part may contain a secret.
public protocol ElevateFailure: Error, Sendable {
    var category: FailureCategory { get }
    /// What went wrong, quoting the offending value in single quotes.
    var problem: String { get }
    /// What the user can do about it.
    var remedy: String { get }
    /// Whether this is an explicit refusal to give the credentials: access denied, an expired or invalid source
    /// credential or token, no role to get. A failure that is not (the network, throttling, a server error, a
    /// service that is down or slow) lets the session cache serve a still valid cached session in place of a failed
    /// refresh; a denial never does. `false` unless a conformer says otherwise.
    var isDenial: Bool { get }
}

extension ElevateFailure {
    public var isDenial: Bool { false }
}

/// Errors of the core: plugin look-up and plan execution.
public enum CoreError: ElevateFailure, Equatable {
    /// No plugin of that kind has that name.
    case unknownPlugin(kind: PluginKind, name: String, known: [String])
    /// A source plugin said it does not apply to the profile it was asked to serve.
    case sourceDidNotApply(plugin: String, profile: String)
    /// A step gave credentials that had already expired.
    case expired(plugin: String, profile: String, at: String)
    /// A step gave credentials that break ``CredentialRules``; `origin` names the step (`source 'imds'`).
    case invalidCredentials(origin: String, profile: String, violation: CredentialRules.Violation)
    /// A value to be written into shell text holds a NUL byte, which no shell variable can carry.
    case notShellSafe(name: String)

    public var category: FailureCategory {
        switch self {
        case .unknownPlugin: .configuration
        case .sourceDidNotApply, .expired, .invalidCredentials: .credentials
        case .notShellSafe: .configuration
        }
    }

    public var problem: String {
        switch self {
        case .unknownPlugin(let kind, let name, _):
            "no \(kind) plugin named '\(name)'"
        case .sourceDidNotApply(let plugin, let profile):
            "source '\(plugin)' found no credentials for profile '\(profile)'"
        case .expired(let plugin, let profile, let at):
            "the credentials from '\(plugin)' for profile '\(profile)' expired at \(at)"
        case .invalidCredentials(let origin, let profile, let violation):
            "the credentials from \(origin) for profile '\(profile)' are refused: \(violation)"
        case .notShellSafe(let name):
            "the value for \(name) holds a NUL byte, which a shell variable cannot carry"
        }
    }

    /// A source that finds no credentials, or gives expired ones, has none to refresh with.
    public var isDenial: Bool {
        switch self {
        case .unknownPlugin, .notShellSafe: false
        case .sourceDidNotApply, .expired: true
        // Values a source should never send: not a denial, so a still valid cached session is served meanwhile.
        case .invalidCredentials: false
        }
    }

    public var remedy: String {
        switch self {
        case .unknownPlugin(let kind, _, let known):
            known.isEmpty
                ? "this build registers no \(kind) plugins; run 'aws-elevate plugins' to see what it has"
                : "use one of: \(known.joined(separator: ", "))"
        case .sourceDidNotApply(let plugin, _):
            "check the settings the '\(plugin)' source reads (aws-elevate plugins lists them)"
        case .expired(let plugin, _, _):
            "renew the credentials '\(plugin)' reads, then try again"
        case .invalidCredentials(let origin, _, _):
            "check what \(origin) reads (the value is not shown, since it may be a secret)"
        case .notShellSafe:
            "remove the NUL byte from the configuration"
        }
    }
}

/// `value` in single quotes for a message: on one line (``singleLine(_:)``) and at most `limit` Unicode scalars,
/// `...` marking a cut.
///
/// Counts scalars, not `Character`s: one `Character` can carry any number of combining marks, and a value from a
/// program or a server made of one would otherwise fill the whole message.
public func quotedForMessage(_ value: String, limit: Int) -> String {
    let scalars = value.unicodeScalars
    guard let end = scalars.index(scalars.startIndex, offsetBy: limit, limitedBy: scalars.endIndex),
        end != scalars.endIndex
    else { return "'" + singleLine(value) + "'" }
    let cut = scalars.index(scalars.startIndex, offsetBy: max(0, limit - 3))
    return "'" + singleLine(String(scalars[..<cut])) + "...'"
}

/// Keeps a message on one line: a control character in a quoted value would split or forge a line.
public func singleLine(_ text: String) -> String {
    // Printable ASCII, nearly every value, needs no work (and no look-up of Unicode properties).
    if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
    return String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
        scalar.properties.generalCategory == .control ? "?" : scalar
    }))
}
