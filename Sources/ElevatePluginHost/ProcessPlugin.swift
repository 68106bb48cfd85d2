import ElevateChildProcess
import ElevateCore

/// What process plugins share: their limits and the one run of a plugin for one step.
public enum ProcessPlugin {
    /// The most a plugin may write to standard output (an answer is well under a kilobyte).
    public static let outputLimit = 64 * 1024
    /// The profile key that limits how long a plugin may run, in seconds.
    public static let timeoutKey = "elevate_plugin_timeout"
    /// The limit when the profile sets none: a plugin does not wait for a person (it has no terminal input).
    public static let defaultTimeoutSeconds = 60
    /// The largest accepted limit.
    public static let maximumTimeoutSeconds = 3_600
    /// Counts how deep programs run inside each other; a plugin gets it one higher.
    public static let depthVariable = ChildProcess.depthVariable
    /// Variables of the environment a plugin never gets: credentials reach a plugin only in its request.
    public static let withheldVariables = [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
    ]

    /// `elevate_plugin_timeout` of `profile`: whole seconds from 1 to ``maximumTimeoutSeconds``, else the default.
    static func timeoutSeconds(in profile: Profile) throws(PluginHostError) -> Int {
        do {
            return try TimeLimitSetting.seconds(
                in: profile, key: timeoutKey, defaultSeconds: defaultTimeoutSeconds, maximum: maximumTimeoutSeconds)
        } catch {
            throw .invalidSetting(key: timeoutKey, profile: profile.name, value: error.value, expected: error.expected)
        }
    }

    /// The region a request names: the profile's `region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`.
    static func region(of profile: Profile, environment: [String: String]) -> String? {
        [profile["region"], environment["AWS_REGION"], environment["AWS_DEFAULT_REGION"]]
            .lazy.compactMap { $0 }.first { !$0.isEmpty }
    }

    /// The cache identity of a step: the protocol version, the executable, the region and every setting the request
    /// sends (static keys are never sent), so that any change to what the plugin is told is a different session;
    /// and `role_arn`, when the profile has one, which names the session in listings.
    static func cacheIdentity(path: String, profile: Profile, region: String?) -> [String: String] {
        var parts = ["plugin-protocol": String(PluginProtocol.version), "executable": path]
        if let region { parts["region"] = region }
        // Under its own name too, as the built-in hop declares it: `cache list` shows the role of a session by it.
        if let role = profile["role_arn"] { parts["role_arn"] = role }
        for (key, value) in profile.values where !PluginProtocol.withheldSettings.contains(key) {
            parts["setting:" + key] = value
        }
        // A key name never holds ':' (the INI delimiter), so the first one after "section:" ends it.
        for (key, lines) in profile.sections where !PluginProtocol.withheldSettings.contains(key) {
            for (name, value) in lines { parts["section:" + key + ":" + name] = value }
        }
        return parts
    }

    /// Asks plugin `name` at `path` for the credentials of `step`: a source's, or with `elevating`, those of hop
    /// number `hop` from `input`.
    static func ask(
        _ name: String, at path: String, for step: Step, settings: ProcessPluginSettings,
        elevating: (input: Credentials, hop: Int)? = nil, context: RunContext
    ) throws(PluginHostError) -> Credentials {
        let kind: PluginKind = elevating == nil ? .source : .elevation
        let request = PluginProtocol.Request(
            kind: kind, plugin: name, profile: step.profile, region: settings.region, hop: elevating?.hop,
            input: elevating?.input)
        let origin = PluginHostError.Origin(plugin: name, path: path, kind: kind, profile: step.profile.name)
        let secrets = elevating.map { [$0.input.secretAccessKey] + ($0.input.sessionToken.map { [$0] } ?? []) } ?? []
        return try run(
            request, origin: origin, timeoutSeconds: settings.timeoutSeconds, secrets: secrets, context: context)
    }

    /// Runs the plugin at `origin.path` with `request` on its standard input, in a process group of its own, and
    /// reads its answer. `secrets` are hidden wherever the plugin's standard error is shown.
    static func run(
        _ request: PluginProtocol.Request, origin: PluginHostError.Origin, timeoutSeconds: Int, secrets: [String],
        context: RunContext
    ) throws(PluginHostError) -> Credentials {
        let (depth, nested) = ChildProcess.nested(context.environment)
        guard var environment = nested else { throw .tooDeep(origin, depth: depth) }
        for name in withheldVariables { environment[name] = nil }
        let log = context.logger
        let what = "the \(origin.kind) of profile '\(singleLine(origin.profile))'"
        log.debug(
            "plugin: running '\(singleLine(origin.path))' as \(what) (protocol \(PluginProtocol.version), at most \(timeoutSeconds) s)")
        let output: ChildOutput
        do {
            output = try ChildProcess.run(
                [origin.path], environment: environment, stdin: request.encoded(), stdoutLimit: outputLimit,
                limits: ChildProcess.Limits(timeout: .seconds(timeoutSeconds), ownProcessGroup: true))
        } catch {
            switch error {
            case .timedOut: throw .timedOut(origin, seconds: timeoutSeconds)
            case .spawn(let code): throw .cannotStart(origin, reason: errnoText(code))
            case .io(let code): throw .io(origin, reason: errnoText(code))
            }
        }
        let hidden = secrets.filter { $0.utf8.count >= 8 }
        func redacted(_ text: String) -> String {
            hidden.reduce(text) { text, secret in text.replacing(secret, with: "****") }
        }
        if !output.stderr.isEmpty {
            for line in String(decoding: output.stderr, as: UTF8.self).split(whereSeparator: \.isNewline) {
                log.debug("plugin '\(origin.plugin)' stderr: \(singleLine(redacted(String(line))))")
            }
        }
        guard output.ending == .exited(0) else {
            throw .failed(origin, ending: output.endingText, stderr: output.lastErrorLine.map(redacted))
        }
        if output.stdoutOverflowed { throw .tooMuchOutput(origin) }
        switch PluginProtocol.credentials(fromAnswer: output.stdout) {
        case .failure(let invalid):
            throw .badAnswer(origin, reason: invalid.reason)
        case .success(let credentials):
            if let violation = CredentialRules.violation(in: credentials) {
                throw .invalidCredentials(origin, violation: violation)
            }
            return credentials
        }
    }
}

/// What a process plugin's step reads from its profile, once.
public struct ProcessPluginSettings: Sendable, Equatable {
    /// `elevate_plugin_timeout`, or the default.
    public var timeoutSeconds: Int
    /// The region the request names.
    public var region: String?

    /// The settings of a step's `profile`; throws for a bad `elevate_plugin_timeout`.
    init(profile: Profile, environment: [String: String]) throws(PluginHostError) {
        timeoutSeconds = try ProcessPlugin.timeoutSeconds(in: profile)
        region = ProcessPlugin.region(of: profile, environment: environment)
    }
}

/// A process plugin that yields base credentials: a profile's `elevate_source = NAME`.
public struct ProcessSourcePlugin: SourcePlugin {
    public let name: String
    /// The executable.
    public let path: String
    public var summary: String { "process plugin \(path)" }

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    public func settings(for step: Step, context: RunContext) throws(PluginHostError) -> ProcessPluginSettings {
        try ProcessPluginSettings(profile: step.profile, environment: context.environment)
    }

    public func credentials(for step: Step, settings: ProcessPluginSettings, context: RunContext) async throws
        -> Credentials?
    {
        try ProcessPlugin.ask(name, at: path, for: step, settings: settings, context: context)
    }

    public func cacheIdentity(for step: Step, settings: ProcessPluginSettings, context: RunContext)
        -> [String: String]?
    {
        ProcessPlugin.cacheIdentity(path: path, profile: step.profile, region: settings.region)
    }
}

/// A process plugin that turns credentials into others: a hop's `elevate_plugin = NAME`.
public struct ProcessElevationPlugin: ElevationPlugin {
    public let name: String
    /// The executable.
    public let path: String
    public var summary: String { "process plugin \(path)" }

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    public func settings(for step: Step, hop: Int, context: RunContext) throws(PluginHostError)
        -> ProcessPluginSettings
    {
        try ProcessPluginSettings(profile: step.profile, environment: context.environment)
    }

    public func elevate(
        _ input: Credentials, step: Step, settings: ProcessPluginSettings, hop: Int, context: RunContext
    ) async throws -> Credentials {
        try ProcessPlugin.ask(name, at: path, for: step, settings: settings, elevating: (input, hop), context: context)
    }

    public func cacheIdentity(for step: Step, settings: ProcessPluginSettings, context: RunContext)
        -> [String: String]?
    {
        ProcessPlugin.cacheIdentity(path: path, profile: step.profile, region: settings.region)
    }
}

/// Finds process plugins on a ``PluginSearchPath``, one name at a time.
public struct ProcessPluginLocator: PluginLocator {
    public var searchPath: PluginSearchPath

    public init(searchPath: PluginSearchPath) {
        self.searchPath = searchPath
    }

    public func source(named name: String) -> PluginLookup<any SourcePlugin> {
        lookup(name) { ProcessSourcePlugin(name: name, path: $0) }
    }

    public func elevation(named name: String) -> PluginLookup<any ElevationPlugin> {
        lookup(name) { ProcessElevationPlugin(name: name, path: $0) }
    }

    private func lookup<Plugin>(_ name: String, _ make: (String) -> Plugin) -> PluginLookup<Plugin> {
        switch searchPath.find(name) {
        case .executable(let path): .found(make(path))
        case .missing(let unusable?): .unusable(path: unusable.path, reason: unusable.reason)
        case .missing(nil): .notFound(searched: searchPath.folders)
        }
    }
}
