#if canImport(Glibc)
import Glibc
#endif
import ElevateCache
import ElevateConfig
import ElevateCore
import ElevatePluginHost
import Logging

/// One credential request as a straight line: resolve the profile → bind its plugins' settings → run the chain
/// through the cache → credentials.
///
/// Resolution, binding and running are separate steps; this is the one place that composes them. The cache and the
/// runner get the same bound plan.
struct Pipeline {
    var registry: PluginRegistry
    var environment: [String: String]
    var logger: Logger
    var tokenCode: String? = nil
    /// Whether a plugin may ask on the terminal (an MFA code).
    var mayPrompt = true

    var context: RunContext {
        RunContext(environment: environment, logger: logger, tokenCode: tokenCode, mayPrompt: mayPrompt)
    }

    /// The pipeline of one command run: the process environment, the built-in plugins, and the logger that
    /// `--debug` (or `AWS_ELEVATE_DEBUG`) asks for. Every command that resolves a profile starts here.
    static func forCommand(debug: Bool, tokenCode: String? = nil, mayPrompt: Bool = true) -> Pipeline {
        let environment = processEnvironment()
        return Pipeline(
            registry: BuiltinPlugins.registry(processPluginsFrom: environment), environment: environment,
            logger: GlobalOptions.logger(debug: debug, environment: environment), tokenCode: tokenCode,
            mayPrompt: mayPrompt)
    }

    /// Runs `body` with the bound plan of `profile`. A failure of either becomes the one stderr line and the exit
    /// code of ``FailureReport``, so that every command reports a profile's problem the same way.
    func run<T>(profile: String, _ body: (BoundPlan) async throws -> T) async throws -> T {
        try await run(profile: profile) { _, plan in try await body(plan) }
    }

    /// ``run(profile:_:)`` for commands that also need the config files the plan was resolved from.
    func run<T>(profile: String, _ body: (AWSConfig, BoundPlan) async throws -> T) async throws -> T {
        try await FailureReport.run(profile: profile) {
            let (config, plan) = try configAndPlan(for: profile)
            return try await body(config, plan)
        }
    }

    /// The config files and the plan of `profile` in them. A stored index of a large file that turns out not to
    /// match it (removed as it is found) costs one more reading of the files, which then scans it.
    func configAndPlan(for profile: String) throws -> (AWSConfig, BoundPlan) {
        let config = try config()
        do {
            return (config, try plan(for: profile, in: config))
        } catch ConfigError.staleIndex(let path) {
            logger.debug("config file '\(path)': its stored index did not match it; reading the files again")
            let again = try self.config()
            return (again, try plan(for: profile, in: again))
        }
    }

    /// The AWS config files, read and merged.
    func config() throws -> AWSConfig {
        let files = ConfigFiles.locate(environment: environment)
        logger.debug("config files: \(files.configPath), \(files.credentialsPath)")
        let config = try AWSConfig.load(files, indexes: ConfigIndexFiles.forRun(environment: environment))
        if logger.logLevel <= .debug {
            for reading in config.readings { logger.debug("config file \(reading)") }
        }
        return config
    }

    /// The plan for `profile`, from the AWS config files, with every step's settings read and checked.
    func plan(for profile: String) throws -> BoundPlan {
        try configAndPlan(for: profile).1
    }

    /// The plan for `profile` in `config`, with every step's settings read and checked.
    func plan(for profile: String, in config: AWSConfig) throws -> BoundPlan {
        let resolver = ProfileResolver(
            config: config, registry: registry, environment: environment, isSelf: SelfExecutable.isSelf)
        let plan: Plan
        do {
            plan = try resolver.plan(for: profile)
        } catch {
            // A profile missing from a file that changed while it was read is that change, not a missing profile.
            try config.checkUnchanged()
            throw error
        }
        try config.checkUnchanged()
        logger.debug("plan for '\(profile)': \(plan)")
        return try plan.bind(context: context)
    }

    /// The session cache every command uses.
    static func sessionCache() -> SessionCache {
        SessionCache(keyring: { SecretServiceKeyring() })
    }

    /// The credentials at the end of the plan: from the session cache, else by running the whole plan.
    func credentials(for plan: BoundPlan) async throws -> Credentials {
        return try await Self.sessionCache().credentials(for: plan, context: context) { context in
            try await ChainRunner().run(plan, context: context)
        }
    }
}

/// Recognises a command line that would run aws-elevate again.
enum SelfExecutable {
    /// Whether `word`, the program of a `credential_process` line, is aws-elevate.
    @Sendable static func isSelf(_ word: String) -> Bool {
        // Bytes, not Characters: a `/` followed by a combining mark is one Character that is not `/`.
        let slash = UInt8(ascii: "/")
        let name = word.utf8.split(separator: slash).last.map { String(decoding: $0, as: UTF8.self) } ?? word
        if name.utf8.elementsEqual("aws-elevate".utf8) { return true }
        guard let me = canonicalPath("/proc/self/exe") else { return false }
        let candidate = word.utf8.contains(slash) ? word : searchPath(for: word)
        return candidate.flatMap(canonicalPath) == me
    }

    private static func canonicalPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func searchPath(for name: String) -> String? {
        guard let path = getenv("PATH").map({ String(cString: $0) }) else { return nil }
        for directory in path.utf8.split(separator: UInt8(ascii: ":")).map({ String(decoding: $0, as: UTF8.self) }) {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
