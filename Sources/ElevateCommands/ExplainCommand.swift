import ArgumentParser
import ElevateCache
import ElevateConfig
import ElevateCore

/// `aws-elevate explain [--profile NAME] [--json]`: the resolved plan, without any network request.
struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show how a profile's credentials would be obtained, without any network request.",
        discussion: """
            Prints the source plugin and each hop with the settings it reads (secrets hidden, access key ids \
            masked) and the file and line each setting came from; then the session cache's key, the backend that \
            would serve, and the cached session's time left. It reads the config files and the cache, and asks \
            the keyring only what a run asks first; it never fetches, refreshes, stores or prompts.
            """
    )

    @Option(name: .long, help: "The profile (default: AWS_DEFAULT_PROFILE, then AWS_PROFILE, then 'default').")
    var profile: String?

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if profile?.isEmpty == true { throw ValidationError("--profile must not be empty") }
    }

    func run() async throws {
        let pipeline = Pipeline.forCommand(debug: global.debug, mayPrompt: false)
        let name = profile ?? defaultProfileName(environment: pipeline.environment)
        let explanation = try await pipeline.run(profile: name) { config, plan in
            let preview = Result { () throws(CacheError) in
                try Pipeline.sessionCache().preview(for: plan, context: pipeline.context)
            }
            return Explanation(plan: plan, config: config, context: pipeline.context, preview: preview)
        }
        Output.write(json ? explanation.json : explanation.text)
    }
}
