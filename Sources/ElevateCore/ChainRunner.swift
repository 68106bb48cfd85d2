/// Runs a plan: the source, then each hop with the credentials of the step before it.
public struct ChainRunner: Sendable {
    public var registry: PluginRegistry

    public init(registry: PluginRegistry) {
        self.registry = registry
    }

    /// Checks that every plugin the plan names exists, before anything runs.
    public func validate(_ plan: Plan) throws(CoreError) {
        _ = try registry.source(named: plan.source.plugin)
        for hop in plan.hops {
            _ = try registry.elevation(named: hop.plugin)
        }
    }

    /// The credentials at the end of the plan.
    public func run(_ plan: Plan, context: RunContext) async throws -> Credentials {
        try validate(plan)
        let source = try registry.source(named: plan.source.plugin)
        context.logger.debug("source \(source.name) for profile '\(plan.source.profile.name)'")
        guard var credentials = try await source.credentials(for: plan.source, context: context) else {
            throw CoreError.sourceDidNotApply(plugin: source.name, profile: plan.source.profile.name)
        }
        try Self.check(credentials, from: "source '\(source.name)'", step: plan.source)
        context.logger.debug("source \(source.name) gave \(credentials)")
        try Self.checkNotExpired(credentials, plugin: source.name, step: plan.source, context: context)
        for (index, hop) in plan.hops.enumerated() {
            let plugin = try registry.elevation(named: hop.plugin)
            credentials = try await plugin.elevate(credentials, step: hop, hop: index + 1, context: context)
            try Self.check(credentials, from: "hop \(index + 1) '\(plugin.name)'", step: hop)
            context.logger.debug("hop \(index + 1) \(plugin.name) gave \(credentials)")
            try Self.checkNotExpired(credentials, plugin: plugin.name, step: hop, context: context)
        }
        return credentials
    }

    /// Every step's result keeps ``CredentialRules`` before anything logs, caches or prints it.
    private static func check(_ credentials: Credentials, from origin: String, step: Step) throws(CoreError) {
        if let violation = CredentialRules.violation(in: credentials) {
            throw .invalidCredentials(origin: origin, profile: step.profile.name, violation: violation)
        }
    }

    /// Expired credentials would only fail later, inside the SDK, with a less helpful message.
    private static func checkNotExpired(
        _ credentials: Credentials, plugin: String, step: Step, context: RunContext
    ) throws(CoreError) {
        if let expiration = credentials.expiration, expiration <= context.now() {
            throw .expired(plugin: plugin, profile: step.profile.name, at: Timestamp.format(expiration))
        }
    }
}
