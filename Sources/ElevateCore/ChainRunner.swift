/// Runs a bound plan: the source, then each hop with the credentials of the step before it.
public struct ChainRunner: Sendable {
    public init() {}

    /// The credentials at the end of the plan.
    public func run(_ plan: BoundPlan, context: RunContext) async throws -> Credentials {
        let source = plan.source
        context.logger.debug("source \(source.name) for profile '\(source.step.profile.name)'")
        guard var credentials = try await source.credentials(context: context) else {
            throw CoreError.sourceDidNotApply(plugin: source.name, profile: source.step.profile.name)
        }
        try Self.check(credentials, from: "source '\(source.name)'", step: source.step)
        context.logger.debug("source \(source.name) gave \(credentials)")
        try Self.checkNotExpired(credentials, plugin: source.name, step: source.step, context: context)
        for hop in plan.hops {
            credentials = try await hop.elevate(credentials, context: context)
            try Self.check(credentials, from: "hop \(hop.hop) '\(hop.name)'", step: hop.step)
            context.logger.debug("hop \(hop.hop) \(hop.name) gave \(credentials)")
            try Self.checkNotExpired(credentials, plugin: hop.name, step: hop.step, context: context)
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
