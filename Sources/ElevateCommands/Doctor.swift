#if canImport(Glibc)
    import Glibc
#endif
import ElevateCache
import ElevateConfig
import ElevateCore
import ElevateKeyring
import IMDSSource

/// One line of `aws-elevate doctor`'s table.
struct DoctorRow: Equatable {
    enum Status: String {
        case ok = "ok"
        /// Works, but not as well as it could (a locked keyring in `auto`, no shell hook): does not fail the run.
        case warn = "warn"
        case fail = "FAIL"
        /// Not checked, or not needed; the detail says why.
        case skip = "skip"
    }

    var check: String
    var status: Status
    var detail: String
    /// What to do; every `warn` and `FAIL` row has one.
    var remedy: String?

    static func ok(_ check: String, _ detail: String) -> DoctorRow {
        DoctorRow(check: check, status: .ok, detail: detail)
    }

    static func skip(_ check: String, _ detail: String) -> DoctorRow {
        DoctorRow(check: check, status: .skip, detail: detail)
    }

    static func failing(_ check: String, _ failure: any ElevateFailure, status: Status = .fail) -> DoctorRow {
        DoctorRow(check: check, status: status, detail: failure.problem, remedy: failure.remedy)
    }
}

/// What the checks look at, read once: the environment, the config files and every profile's plan.
struct DoctorContext {
    var pipeline: Pipeline
    /// The merged config files, or why they cannot be read.
    var config: Result<AWSConfig, any Error>
    /// Every profile of the files with its bound plan or its failure, in byte order of the names.
    var profiles: [(name: String, plan: Result<BoundPlan, any Error>)]

    var environment: [String: String] { pipeline.environment }

    init(pipeline: Pipeline) {
        self.pipeline = pipeline
        config = Result { try pipeline.config().forManyLookups() }
        profiles = []
        if case .success(let config) = config {
            profiles = config.profileNames.map { name in
                (name, Result { try pipeline.plan(for: name, in: config) })
            }
        }
    }
}

/// A group of rows of the doctor's table.
protocol DoctorRowProvider: Sendable {
    func rows(_ context: DoctorContext) -> [DoctorRow]
}

/// `aws-elevate doctor`: every check, in the order of the table.
enum Doctor {
    /// The row providers, in order: the one place to add checks.
    static let providers: [any DoctorRowProvider] = [
        ConfigFilesRows(), ProfileRows(), CacheFilesRows(), KeyringRows(), IMDSRows(), ShellHookRows(),
        ProcessPluginRows(),
    ]

    static func rows(_ context: DoctorContext, providers: [any DoctorRowProvider] = providers) -> [DoctorRow] {
        providers.flatMap { $0.rows(context) }
    }

    /// The table: `CHECK  STATUS  DETAIL`, the detail of a `warn` or `FAIL` row ending in ` — remedy`; then a summary.
    static func render(_ rows: [DoctorRow]) -> String {
        let table =
            [["CHECK", "STATUS", "DETAIL"]]
            + rows.map { row in
                [
                    singleLine(row.check), row.status.rawValue,
                    singleLine(row.detail + (row.remedy.map { " — " + $0 } ?? "")),
                ]
            }
        func width(_ text: String) -> Int { text.unicodeScalars.count }
        let widths = (0..<2).map { column in table.map { width($0[column]) }.max() ?? 0 }
        var text = ""
        for line in table {
            text += line[0] + String(repeating: " ", count: widths[0] - width(line[0])) + "  "
            text += line[1] + String(repeating: " ", count: widths[1] - width(line[1])) + "  " + line[2] + "\n"
        }
        let failed = rows.filter { $0.status == .fail }.count
        let warned = rows.filter { $0.status == .warn }.count
        let warnings = warned == 0 ? "" : ", \(warned) warning\(warned == 1 ? "" : "s")"
        text +=
            failed == 0
            ? "\nall checks passed\(warnings)\n"
            : "\n\(failed) check\(failed == 1 ? "" : "s") failed\(warnings)\n"
        return text
    }
}

/// The config and credentials files parse.
struct ConfigFilesRows: DoctorRowProvider {
    func rows(_ context: DoctorContext) -> [DoctorRow] {
        switch context.config {
        case .success(let config):
            // `searched` names the config file, then the credentials file.
            return zip(["config file", "credentials file"], config.searched).map { check, file in
                let path = quotedForMessage(file.path, limit: 200)
                return file.exists
                    ? .ok(check, "\(path) parses") : .ok(check, "\(path) does not exist (none is needed)")
            }
        case .failure(let error):
            return [row("config files", error)]
        }
    }
}

/// A failure as a `FAIL` row; an error of unknown type is named by its type only, as ``FailureReport`` does.
private func row(_ check: String, _ error: any Error) -> DoctorRow {
    if let failure = error as? any ElevateFailure { return .failing(check, failure) }
    return DoctorRow(
        check: check, status: .fail, detail: "unexpected \(type(of: error))", remedy: "rerun with --debug and report it"
    )
}

/// Every profile resolves to a plan whose settings are valid, with the real error's problem and remedy when not.
struct ProfileRows: DoctorRowProvider {
    func rows(_ context: DoctorContext) -> [DoctorRow] {
        guard case .success = context.config else {
            return [.skip("profiles", "not checked: the config files cannot be read")]
        }
        if context.profiles.isEmpty { return [.skip("profiles", "the files define no profile")] }
        return context.profiles.map { name, plan in
            let check = "profile \(quotedForMessage(name, limit: 60))"
            switch plan {
            case .success(let plan):
                return .ok(check, plan.description)
            case .failure(ConfigError.runsItself):
                // The profile SDKs use (`setup` writes it): its credential_process is aws-elevate, for another profile.
                return .ok(check, "credential_process runs aws-elevate (a profile for SDKs)")
            case .failure(let error as ConfigError):
                if case .noCredentials = error { return .failing(check, error, status: .warn) }
                return row(check, error)
            case .failure(let error):
                return row(check, error)
            }
        }
    }
}

/// The cache settings are valid, and the file backend's directory and key file are private and the user's.
struct CacheFilesRows: DoctorRowProvider {
    func rows(_ context: DoctorContext) -> [DoctorRow] {
        let settings: CacheSettings
        do throws(CacheError) {
            settings = try CacheSettings(environment: context.environment, profile: nil)
        } catch {
            return [.failing("cache settings", error)]
        }
        if settings.mode == .none { return [.skip("cache files", "the cache is off (\(settings.modeSource)=none)")] }
        let checks = settings.checkFiles()
        if checks.isEmpty { return [.skip("cache files", "no home directory is known (HOME is unset)")] }
        return checks.map { check in
            switch check.outcome {
            case .ok(let words):
                return .ok(check.what, "\(quotedForMessage(check.path, limit: 200)): \(words)")
            case .failed(let problem, let remedy):
                return DoctorRow(check: check.what, status: .fail, detail: problem, remedy: remedy)
            }
        }
    }
}

/// The Secret Service keyring: reachable, unlocked or locked. One call, bounded to a second; it never prompts and
/// never starts a service.
struct KeyringRows: DoctorRowProvider {
    var timeout: Duration = .seconds(1)

    func rows(_ context: DoctorContext) -> [DoctorRow] {
        let check = "keyring"
        guard let settings = try? CacheSettings(environment: context.environment, profile: nil) else {
            return [.skip(check, "not checked: the cache settings are invalid")]
        }
        if settings.mode == .file || settings.mode == .none {
            return [.skip(check, "not used (\(settings.modeSource)=\(settings.mode))")]
        }
        let required = settings.mode == .keyring
        switch SecretServiceKeyring(timeout: timeout).keyring.state() {
        case .unlocked:
            return [.ok(check, "a Secret Service answers; its default collection is unlocked")]
        case .locked:
            return [
                DoctorRow(
                    check: check, status: required ? .fail : .warn,
                    detail: "the default collection is locked"
                        + (required ? "" : ": sessions are cached in the encrypted files meanwhile"),
                    remedy: "unlock it (log in to the desktop session, or open Passwords and Keys)")
            ]
        case .unreachable(let reason):
            guard required else {
                return [.ok(check, "none can serve: \(reason); sessions are cached in the encrypted files")]
            }
            return [
                DoctorRow(
                    check: check, status: .fail, detail: "no keyring can serve: \(reason)",
                    remedy:
                        "start a desktop session with a Secret Service (gnome-keyring), or set AWS_ELEVATE_CACHE=auto")
            ]
        }
    }
}

/// The EC2 instance metadata service answers a token request within about a second; a failure counts only when
/// some profile starts from it.
struct IMDSRows: DoctorRowProvider {
    /// The bound on the one request.
    var timeoutSeconds = 1.0

    func rows(_ context: DoctorContext) -> [DoctorRow] {
        let check = "instance metadata"
        let source = IMDSSource()
        // The settings of the first profile that starts from the service, else those of [default].
        let starting = context.profiles.lazy.compactMap { try? $0.plan.get() }.first { $0.source.name == source.name }
        let profile =
            starting?.source.step.profile ?? (try? context.config.get())?.profile(named: "default")
            ?? Profile(name: "default")
        var settings: IMDSSettings
        do throws(IMDSSourceError) {
            settings = try IMDSSettings(environment: context.environment, profile: profile)
        } catch {
            if case .disabled(let name) = error { return [.skip(check, "not checked: switched off by \(name)")] }
            return [.failing(check, error)]
        }
        settings.timeoutSeconds = min(settings.timeoutSeconds, timeoutSeconds)
        let used = starting != nil
        do throws(IMDSSourceError) {
            try source.probe(settings, context: context.pipeline.context)
            return [.ok(check, "\(quotedForMessage(settings.endpoint, limit: 200)) hands out IMDSv2 tokens")]
        } catch {
            guard used else {
                return [.skip(check, "no answer (\(error.problem)); no profile starts from it")]
            }
            return [.failing(check, error)]
        }
    }
}

/// The shell functions are loaded by the user's shell start-up file: the line README and `make install` give.
/// Process plugins on the plugin path that never run: a built-in plugin or an earlier folder has their name.
struct ProcessPluginRows: DoctorRowProvider {
    func rows(_ context: DoctorContext) -> [DoctorRow] {
        let check = "process plugins"
        let shadowed = BuiltinPlugins.shadowedProcessPlugins(environment: context.environment)
        guard !shadowed.isEmpty else { return [.ok(check, "none shadowed")] }
        return shadowed.map { plugin in
            let by =
                plugin.shadowedBy.utf8.first == UInt8(ascii: "/")
                ? "\(quotedForMessage(plugin.shadowedBy, limit: 200)) comes first with its name"
                : "\(plugin.shadowedBy) has its name"
            return DoctorRow(
                check: check, status: .warn, detail: "\(quotedForMessage(plugin.path, limit: 200)) never runs: \(by)",
                remedy: "rename or remove it, or drop the folder that shadows it from AWS_ELEVATE_PLUGIN_PATH")
        }
    }
}

struct ShellHookRows: DoctorRowProvider {
    func rows(_ context: DoctorContext) -> [DoctorRow] {
        let check = "shell hook"
        guard let home = context.environment["HOME"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            return [.skip(check, "not checked: HOME is unset")]
        }
        let zdotdir = context.environment["ZDOTDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? home
        let shell = context.environment["SHELL"].map { $0.split(separator: "/").last.map(String.init) ?? $0 }
        let candidates: [(shell: String, file: String)]
        switch shell {
        case "zsh": candidates = [("zsh", zdotdir + "/.zshrc")]
        case "bash": candidates = [("bash", home + "/.bashrc")]
        default: candidates = [("bash", home + "/.bashrc"), ("zsh", zdotdir + "/.zshrc")]
        }
        for candidate in candidates {
            if let line = Self.hookLine(inFileAt: candidate.file) {
                return [.ok(check, "\(quotedForMessage(candidate.file, limit: 200)) line \(line)")]
            }
        }
        let first = candidates[0]
        let files = candidates.map { quotedForMessage($0.file, limit: 200) }.joined(separator: " or ")
        return [
            DoctorRow(
                check: check, status: .warn,
                detail: "\(files) does not load the shell functions (elevate, unelevate)",
                remedy: "add this line to it: eval \"$(aws-elevate shell-init \(first.shell))\"")
        ]
    }

    /// The number of the first line of the file at `path` that loads the shell functions: `aws-elevate shell-init`
    /// or a `source`/`.` of the installed `aws-elevate.sh`, not in a comment.
    static func hookLine(inFileAt path: String) -> Int? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        guard case .bytes(let bytes) = readAll(fd: fd, sizeHint: Int(info.st_size), limit: 1 << 20) else { return nil }
        return hookLine(in: bytes)
    }

    static func hookLine(in bytes: [UInt8]) -> Int? {
        for (index, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let text = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            if text.first == UInt8(ascii: "#") { continue }
            let words = String(decoding: text, as: UTF8.self)
            if words.contains("aws-elevate shell-init") || words.contains("aws-elevate/aws-elevate.sh") {
                return index + 1
            }
        }
        return nil
    }
}
