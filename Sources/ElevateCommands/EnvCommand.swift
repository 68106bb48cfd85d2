#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import ElevateConfig
import ElevateCore

/// `aws-elevate env --profile NAME --shell bash|zsh`: shell text to `eval`.
struct EnvCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Print export lines that put a profile's credentials into the current shell.",
        discussion: "Use it as: eval \"$(aws-elevate env --profile admin-chain --shell bash)\""
    )

    @Option(name: .long, help: "The profile (default: AWS_DEFAULT_PROFILE, then AWS_PROFILE, then 'default').")
    var profile: String?

    @Option(name: .long, help: "The shell that will eval the output: bash or zsh; both take the same text.")
    var shell: String?

    @Option(name: .long, help: "The current code of the MFA device named by mfa_serial (else asked for on /dev/tty).")
    var tokenCode: String?

    @Flag(name: .long, help: "Never ask for an MFA code: fail with one line instead (the shell functions' refresh).")
    var noPrompt = false

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Print plain assignments to __aws_elevate_new_NAME and the expiry in seconds since 1970, for "
                + "shell/aws-elevate.sh.",
            visibility: .hidden))
    var assignments = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if tokenCode?.isEmpty == true { throw ValidationError("--token-code must not be empty") }
        if let shell, ShellExport.Shell(rawValue: shell) == nil {
            throw ValidationError("--shell '\(shell)' is not supported; use bash or zsh")
        }
        if profile?.isEmpty == true { throw ValidationError("--profile must not be empty") }
    }

    func run() async throws {
        let pipeline = Pipeline.forCommand(debug: global.debug, tokenCode: tokenCode, mayPrompt: !noPrompt)
        let name = profile ?? defaultProfileName(environment: pipeline.environment)
        let text = try await pipeline.run(profile: name) { plan in
            let credentials = try await pipeline.credentials(for: plan)
            if assignments { return try ShellExport.renderAssignments(credentials, profile: name, region: plan.region) }
            return try ShellExport.render(credentials, profile: name, region: plan.region)
        }
        Output.write(text)
    }
}
