#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import ElevateChildProcess
import ElevateCore

/// Source plugin `process`: base credentials from another program, as botocore takes them from a source profile's
/// `credential_process` (aws-vault, a password manager's helper, a SAML tool, …).
///
/// The command line is split as `shlex.split` does and run without a shell, its standard output read as the
/// `credential_process` document (`Version` 1, `AccessKeyId`, `SecretAccessKey`, optional `SessionToken` and
/// `Expiration`). A plan that ends here is not cached (the program keeps its own cache, if it has one); with hops
/// after it, the session at the end is cached under the command line, so a hit does not run the program.
///
/// The program may run for `elevate_process_timeout` seconds of the same profile (default 300), then it is stopped.
public struct ProcessSource: SourcePlugin {
    public let name = "process"
    public let summary = "the credential_process of the source profile: another program's credential document"
    /// `credential_process`, where botocore runs it: after the credentials file's keys, before the config file's.
    public var selection: SourceSelection { SourceSelection(ranks: [.process], settings: ["credential_process"]) }

    /// The most a program may write to standard output (a document is a few kilobytes).
    public static let outputLimit = 64 * 1024

    /// Counts how deep credential processes run inside each other; every program gets it, one higher.
    public static let depthVariable = ChildProcess.depthVariable
    /// The deepest nesting allowed: a program that runs aws-elevate for the same profile again would otherwise
    /// start processes without end.
    public static let maximumDepth = ChildProcess.maximumDepth

    /// The profile key that limits how long the program may run, in seconds.
    public static let timeoutKey = "elevate_process_timeout"
    /// The limit when the profile sets none: generous, since the program may wait for a person.
    public static let defaultTimeoutSeconds = 300
    /// The largest accepted limit.
    public static let maximumTimeoutSeconds = 3_600

    public init() {}

    /// The command line, split, and the time limit of the step's profile; `nil` when it has no
    /// `credential_process` (the source does not apply).
    public func settings(for step: Step, context: RunContext) throws(ProcessSourceError) -> ProcessSettings? {
        guard let command = step.profile["credential_process"] else { return nil }
        guard let arguments = shellWords(command), !arguments.isEmpty else {
            throw .unparsable(command: command)
        }
        return ProcessSettings(
            command: command, arguments: arguments, timeoutSeconds: try Self.timeoutSeconds(in: step.profile))
    }

    public func credentials(for step: Step, settings: ProcessSettings?, context: RunContext) async throws
        -> Credentials?
    {
        guard let settings else { return nil }
        let arguments = settings.arguments
        let program = arguments[0]
        let timeout = settings.timeoutSeconds
        let (depth, nested) = ChildProcess.nested(context.environment)
        guard let environment = nested else { throw ProcessSourceError.tooDeep(program: program, depth: depth) }
        context.logger.debug("process: running '\(singleLine(program))' (credential_process of profile '\(singleLine(step.profile.name))', at most \(timeout) s)")
        let output: ChildOutput
        do {
            output = try ChildProcess.run(
                arguments, environment: environment, stdoutLimit: Self.outputLimit,
                limits: ChildProcess.Limits(timeout: .seconds(timeout)))
        } catch {
            switch error {
            case .timedOut:
                throw ProcessSourceError.timedOut(program: program, profile: step.profile.name, seconds: timeout)
            case .spawn(let code): throw ProcessSourceError.cannotStart(program: program, reason: errnoText(code))
            case .io(let code): throw ProcessSourceError.io(program: program, reason: errnoText(code))
            }
        }
        guard output.ending == .exited(0) else {
            throw ProcessSourceError.failed(program: program, ending: output.endingText, stderr: output.lastErrorLine)
        }
        if output.stdoutOverflowed {
            throw ProcessSourceError.badDocument(program: program, reason: "it wrote more than 64 KiB")
        }
        return try ProcessDocument.credentials(from: output.stdout, program: program)
    }

    /// `elevate_process_timeout` of `profile`: whole seconds from 1 to ``maximumTimeoutSeconds``, else the default.
    static func timeoutSeconds(in profile: Profile) throws(ProcessSourceError) -> Int {
        do {
            return try TimeLimitSetting.seconds(
                in: profile, key: timeoutKey, defaultSeconds: defaultTimeoutSeconds, maximum: maximumTimeoutSeconds)
        } catch {
            throw .invalidSetting(
                name: "\(timeoutKey) in profile '\(profile.name)'", value: error.value, expected: error.expected)
        }
    }

    /// The command line: nothing secret, and a different command is a different source.
    public func cacheIdentity(for step: Step, settings: ProcessSettings?, context: RunContext) -> [String: String]? {
        settings.map { ["credential_process": $0.command] }
    }

    /// A plan of this source alone is not cached: the program decides how long its answer is good for.
    public var readsLocally: Bool { true }
}

/// The `credential_process` of a profile, read once.
public struct ProcessSettings: Sendable, Equatable {
    /// The command line as written.
    public var command: String
    /// Its words, split as `shlex.split` does; never empty.
    public var arguments: [String]
    /// `elevate_process_timeout`, or the default.
    public var timeoutSeconds: Int
}

/// The `credential_process` document, read as botocore reads it.
package enum ProcessDocument {
    private struct Versioned: Decodable {
        var Version: Int?
    }

    package static func credentials(from bytes: [UInt8], program: String) throws(ProcessSourceError) -> Credentials {
        let version: Int?
        let fields: CredentialFields
        do {
            let decoder = JSONDecoder()
            version = try decoder.decode(Versioned.self, from: Data(bytes)).Version
            fields = try decoder.decode(CredentialFields.self, from: Data(bytes))
        } catch {
            // Never quote the output: it may hold a secret.
            throw .badDocument(program: program, reason: "its output is not a JSON credential document")
        }
        guard version == 1 else {
            throw .badDocument(
                program: program, reason: version.map { "Version is \($0), not 1" } ?? "the document has no Version")
        }
        switch fields.credentials() {
        case .success(let credentials): return credentials
        case .failure(let invalid): throw .badDocument(program: program, reason: invalid.reason)
        }
    }
}

/// Errors of the `process` source. Messages name the program, never its output.
public enum ProcessSourceError: ElevateFailure, Equatable {
    /// The command line has an unclosed quote or a trailing backslash, or no words.
    case unparsable(command: String)
    /// The program could not be started.
    case cannotStart(program: String, reason: String)
    /// Talking to the program failed.
    case io(program: String, reason: String)
    /// The program ended unsuccessfully; the last line of its standard error, if any.
    case failed(program: String, ending: String, stderr: String?)
    /// The program's output is not a usable credential document.
    case badDocument(program: String, reason: String)
    /// Credential processes already run this deep inside each other.
    case tooDeep(program: String, depth: Int)
    /// A setting of the plugin has a value that cannot be used; `name` says where it was found.
    case invalidSetting(name: String, value: String, expected: String)
    /// The program ran longer than the profile's `elevate_process_timeout` and was stopped.
    case timedOut(program: String, profile: String, seconds: Int)

    public var category: FailureCategory {
        switch self {
        case .unparsable, .cannotStart, .tooDeep, .invalidSetting: .configuration
        case .io, .failed, .badDocument, .timedOut: .credentials
        }
    }

    public var problem: String {
        switch self {
        case .unparsable(let command):
            "credential_process '\(singleLine(command))' is not a command line (an unclosed quote or a trailing backslash)"
        case .cannotStart(let program, let reason):
            "credential_process program '\(singleLine(program))' cannot be started: \(reason)"
        case .io(let program, let reason):
            "reading the output of credential_process program '\(singleLine(program))' failed: \(reason)"
        case .failed(let program, let ending, let stderr):
            "credential_process program '\(singleLine(program))' \(ending)"
                + (stderr.map { ": \(singleLine($0))" } ?? " and wrote nothing to standard error")
        case .badDocument(let program, let reason):
            "credential_process program '\(singleLine(program))' gave no usable credentials: \(reason)"
        case .tooDeep(let program, let depth):
            "credential_process program '\(singleLine(program))' not run: \(depth) credential processes already run "
                + "inside each other (\(ProcessSource.depthVariable)), which looks like one that runs aws-elevate again"
        case .invalidSetting(let name, let value, let expected):
            "invalid value \(quoted(value)) for \(singleLine(name)): expected \(expected)"
        case .timedOut(let program, let profile, let seconds):
            "credential_process program '\(singleLine(program))' of profile '\(singleLine(profile))' did not finish "
                + "within \(seconds) s and was stopped"
        }
    }

    public var remedy: String {
        switch self {
        case .unparsable: "quote the command line as a shell would"
        case .cannotStart: "give the program's full path, or install it"
        case .io, .failed: "run the command yourself to see what it needs, then try again"
        case .tooDeep: "make the program get its credentials without running aws-elevate for the same profile"
        case .invalidSetting:
            "correct the setting or remove it (the default is \(ProcessSource.defaultTimeoutSeconds) s)"
        case .timedOut(_, let profile, _):
            "if it needs longer, raise \(ProcessSource.timeoutKey) in profile '\(singleLine(profile))' (at most "
                + "\(ProcessSource.maximumTimeoutSeconds) s); else run the command yourself to see where it waits"
        case .badDocument: "make it print {\"Version\": 1, \"AccessKeyId\": …, \"SecretAccessKey\": …} on standard output"
        }
    }
}

/// A value in single quotes, on one line and at most 120 characters long.
private func quoted(_ value: String) -> String {
    quotedForMessage(value, limit: 120)
}
