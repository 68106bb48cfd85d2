import ArgumentParser
import ElevateCache
import ElevateConfig
import ElevateCore

/// `aws-elevate profiles [--chains]`: the profile names of the config files, one a line (for completion).
struct ProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "List the profiles of ~/.aws/config and ~/.aws/credentials, one name a line.",
        discussion: "Reads the files only: no network request, no credentials. Names are printed as they are spelled."
    )

    @Flag(name: .long, help: "Only profiles that elevate: those with role_arn, source_profile or credential_source.")
    var chains = false

    func run() throws {
        let environment = processEnvironment()
        let files = ConfigFiles.locate(environment: environment)
        let config: AWSConfig
        do {
            config = try AWSConfig.load(files, indexes: ConfigIndexFiles.forRun(environment: environment))
                .forManyLookups()
        } catch {
            writeStderrLine(singleLine("aws-elevate: profiles: \(error.problem) — \(error.remedy)"))
            throw ExitCode(error.category.exitCode)
        }
        Output.write(Self.render(config, chains: chains))
    }

    /// The listing: names in UTF-8 byte order, each followed by a newline; with `chains`, only elevating profiles.
    static func render(_ config: AWSConfig, chains: Bool) -> String {
        var text = ""
        for name in config.profileNames {
            if chains {
                guard let profile = config.profile(named: name),
                    ["role_arn", "source_profile", "credential_source"].contains(where: { profile[$0] != nil })
                else { continue }
            }
            text += name + "\n"
        }
        return text
    }
}
