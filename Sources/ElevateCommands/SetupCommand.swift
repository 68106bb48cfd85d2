#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ElevateConfig
import ElevateCore

/// `aws-elevate setup --chain CHAIN --profile NAME [--force]`: writes the SDK-facing profile whose
/// `credential_process` runs aws-elevate for the chain.
struct SetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Write the profile SDKs use: credential_process = aws-elevate credential-process --profile CHAIN.",
        discussion: """
            The chain profile must exist and resolve. The config file (AWS_CONFIG_FILE, else ~/.aws/config) gets \
            [profile NAME] ([default] for default) at its end; with --force, an existing profile's settings are \
            replaced and its header kept. Every other byte of the file stays as it was; the old file is kept as \
            FILE.bak-YYYYMMDDTHHMMSSZ. The command names this binary by the PATH entry that runs it, else by its \
            own absolute path.
            """
    )

    @Option(name: .long, help: "The chain profile aws-elevate resolves (the one with role_arn).")
    var chain: String

    @Option(name: .long, help: "The profile to write, the one SDKs use; it must differ from --chain.")
    var profile: String

    @Flag(name: .long, help: "Replace the settings of a profile that exists (the old file is kept as a backup).")
    var force = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if chain.isEmpty { throw ValidationError("--chain must not be empty") }
        if profile.isEmpty { throw ValidationError("--profile must not be empty") }
        if let reason = profileNameProblem(profile) {
            throw ValidationError(
                "--profile '\(singleLine(profile))' cannot be written as a profile name: it holds \(reason)")
        }
        if chain.utf8.elementsEqual(profile.utf8) {
            throw ValidationError(
                "--profile must differ from --chain: the profile SDKs use runs aws-elevate for the chain profile")
        }
    }

    func run() async throws {
        let pipeline = Pipeline.forCommand(debug: global.debug, mayPrompt: false)
        let (environment, logger) = (pipeline.environment, pipeline.logger)
        let files = ConfigFiles.locate(environment: environment)
        try await pipeline.run(profile: chain) { _ in }
        let (edit, written, command) = try await FailureReport.run(profile: profile) {
            guard let program = Self.installedProgram(environment: environment, executable: Self.executablePath())
            else {
                throw ConfigError.unwritable(
                    path: files.configPath, reason: "cannot tell which file this aws-elevate binary runs from")
            }
            logger.debug("this binary: \(program)")
            let command = try ProfileEdit.credentialProcess(program: program, chain: chain)
            let edit = try ProfileEdit.prepare(
                files: files, name: profile, credentialProcess: command, replace: force)
            do {
                _ = try pipeline.plan(for: chain, in: edit.config)
            } catch let failure as any ElevateFailure {
                throw ConfigError.breaksChain(name: profile, chain: chain, problem: failure.problem)
            }
            let written = try ConfigFileWriter.replace(
                path: files.configPath, original: edit.original, with: edit.updated, stamp: Self.stamp(Date()))
            return (edit, written, command)
        }
        Output.write(Self.report(edit: edit, written: written, command: command))
    }

    /// What was done, in one or two lines.
    static func report(edit: ProfileEdit, written: ConfigFileWriter.Written, command: String) -> String {
        let header = singleLine(edit.header)
        let verb = edit.replaced == nil ? "added \(header) to" : "replaced the settings of \(header) in"
        let link =
            written.path.utf8.elementsEqual(edit.files.configPath.utf8)
            ? "" : " (the target of '\(singleLine(edit.files.configPath))')"
        var text = "\(verb) '\(singleLine(written.path))'\(link): credential_process = \(singleLine(command))\n"
        if let backup = written.backup { text += "the previous file is kept as '\(singleLine(backup))'\n" }
        return text
    }

    /// The path to write for this binary, `executable`: the first `aws-elevate` of `PATH` when that is the same
    /// file (so a link such as `/usr/local/bin/aws-elevate` survives an upgrade that moves the file it points to),
    /// else `executable` itself. An absolute path either way: an SDK may run with another `PATH` than the shell.
    static func installedProgram(environment: [String: String], executable: String?) -> String? {
        guard let executable, let me = fileIdentity(executable) else { return nil }
        for folder in (environment["PATH"] ?? "").split(separator: ":", omittingEmptySubsequences: true)
        where folder.utf8.first == UInt8(ascii: "/") {
            var base = String(folder)
            while base.utf8.count > 1, base.utf8.last == UInt8(ascii: "/") { base.removeLast() }
            let candidate = (base == "/" ? "" : base) + "/aws-elevate"
            guard access(candidate, X_OK) == 0, let found = fileIdentity(candidate) else { continue }
            return found == me ? candidate : executable
        }
        return executable
    }

    /// The binary this process runs: `/proc/self/exe`, else the absolute form of `argv[0]` (where `/proc` is not
    /// mounted).
    static func executablePath() -> String? {
        if let resolved = realpath("/proc/self/exe", nil) {
            defer { free(resolved) }
            return String(decoding: UnsafeRawBufferPointer(start: resolved, count: strlen(resolved)), as: UTF8.self)
        }
        guard let first = ProcessArguments.strings.first, first.utf8.contains(UInt8(ascii: "/")) else { return nil }
        if first.utf8.first == UInt8(ascii: "/") { return first }
        guard let cwd = getcwd(nil, 0) else { return nil }
        defer { free(cwd) }
        return String(decoding: UnsafeRawBufferPointer(start: cwd, count: strlen(cwd)), as: UTF8.self) + "/" + first
    }

    /// The device and inode of the regular file at `path` (links followed).
    private static func fileIdentity(_ path: String) -> [UInt64]? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }

    /// `date` as `YYYYMMDDTHHMMSSZ` (UTC), for backup names.
    static func stamp(_ date: Date) -> String {
        String(Timestamp.format(date).filter { $0 != "-" && $0 != ":" })
    }
}
