#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import ElevateConfig
import ElevateCore
import ElevateSTS

/// `aws-elevate whoami [--profile NAME]`: the ARN a profile's credentials stand for, from sts:GetCallerIdentity.
struct WhoamiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami",
        abstract: "Print the ARN a profile's credentials stand for (sts:GetCallerIdentity).",
        discussion: "Runs the profile's whole chain, then asks STS who the resulting credentials are."
    )

    @Option(name: .long, help: "The profile (default: AWS_DEFAULT_PROFILE, then AWS_PROFILE, then 'default').")
    var profile: String?

    @Option(name: .long, help: "The current code of the MFA device named by mfa_serial (else asked for on /dev/tty).")
    var tokenCode: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if profile?.isEmpty == true { throw ValidationError("--profile must not be empty") }
        if tokenCode?.isEmpty == true { throw ValidationError("--token-code must not be empty") }
    }

    func run() async throws {
        let pipeline = Pipeline.forCommand(debug: global.debug, tokenCode: tokenCode)
        let (environment, logger) = (pipeline.environment, pipeline.logger)
        let name = profile ?? defaultProfileName(environment: environment)
        let arn = try await pipeline.run(profile: name) { plan in
            let credentials = try await pipeline.credentials(for: plan)
            // The requested profile's own settings (endpoint, region, CA bundle) decide how STS is reached.
            let requested = plan.plan.lastProfile
            let configuration = try STSConfiguration.resolve(
                environment: environment, profile: requested, machineRegion: credentials.machine?.region)
            let client = STSClient(configuration: configuration, log: { logger.debug("whoami: \($0)") })
            return try await client.getCallerIdentity(with: credentials).arn
        }
        Output.write(singleLine(arn) + "\n")
    }
}
