#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import ElevateCore

/// `aws-elevate credential-process --profile NAME`: the `credential_process` contract.
struct CredentialProcessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credential-process",
        abstract: "Print credentials for a profile as the AWS credential_process JSON document.",
        discussion: """
            Use it from the profile your SDK uses:
              [profile admin]
              credential_process = aws-elevate credential-process --profile admin-chain
            where [profile admin-chain] holds role_arn and source_profile or credential_source.
            """
    )

    @Option(name: .long, help: "The profile holding the chain (role_arn, source_profile / credential_source).")
    var profile: String

    @Option(name: .long, help: "The current code of the MFA device named by mfa_serial (else asked for on /dev/tty).")
    var tokenCode: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if profile.isEmpty { throw ValidationError("--profile must not be empty") }
        if tokenCode?.isEmpty == true { throw ValidationError("--token-code must not be empty") }
    }

    func run() async throws {
        try await Self.execute(profile: profile, debug: global.debug, tokenCode: tokenCode)
    }

    /// The whole command once its arguments are known; shared with ``FastPath`` (which never has a token code).
    static func execute(profile: String, debug: Bool, tokenCode: String? = nil) async throws {
        let pipeline = Pipeline.forCommand(debug: debug, tokenCode: tokenCode)
        let document = try await pipeline.run(profile: profile) { plan in
            CredentialDocument.render(try await pipeline.credentials(for: plan))
        }
        Output.write(document)
    }
}
