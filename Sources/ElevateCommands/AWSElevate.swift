import ArgumentParser

/// The root command: `aws-elevate`.
public struct AWSElevate: AsyncParsableCommand {
    /// The version printed by `--version`, with the commit. The one place it is written: the Makefile reads it from
    /// this line (`make version`).
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "aws-elevate",
        abstract: "Give AWS programs elevated credentials through chains of sts:AssumeRole hops.",
        discussion: """
            Exit codes: 0 success; 1 credentials could not be obtained; 2 configuration error; \
            64 usage error.
            """,
        version: BuildInfo.versionLine(version: version, commit: BuildInfo.commit),
        subcommands: [
            CredentialProcessCommand.self, EnvCommand.self, WhoamiCommand.self, PluginsCommand.self, CacheCommand.self,
            ExecCommand.self, ProfilesCommand.self, SetupCommand.self, ExplainCommand.self, DoctorCommand.self,
            ShellInitCommand.self, CompletionCommand.self,
        ]
    )

    public init() {}
}
