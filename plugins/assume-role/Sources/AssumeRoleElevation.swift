import ElevateCore
import ElevateSTS

/// Elevation plugin `assume-role`: sts:AssumeRole on the hop profile's `role_arn` with the previous step's
/// credentials.
///
/// Reads `role_arn`, `role_session_name`, `external_id`, `duration_seconds` (default 3600), `mfa_serial` (the code
/// from `--token-code`, else asked for on `/dev/tty`), `source_identity`, `session_tags` and
/// `transitive_session_tags` (see ``AssumeRoleSettings``). A hop whose input is a role session (role chaining,
/// the instance role included) asks for at most one hour, STS's limit. The endpoint, region and CA bundle come from
/// the environment and the hop's profile (see ``STSConfiguration``); the region falls back to the machine's.
public struct AssumeRoleElevation: ElevationPlugin {
    public let name = "assume-role"
    public let summary =
        "sts:AssumeRole on role_arn (external_id, mfa_serial, duration_seconds, session_tags, source_identity)"
    /// A profile with `role_arn` is a hop, as botocore assumes it.
    public var selectingSettings: [String] { ["role_arn"] }

    private let transport: any STSTransport
    private let retry: RetryPolicy
    private let system: LocalSystem

    /// The plugin as aws-elevate uses it: libcurl, standard retries, the real terminal.
    public init() {
        self.init(transport: STSClient.standardTransport, retry: .standard, system: .current)
    }

    /// The plugin with another transport, retry policy or local system (tests, embedding).
    public init(transport: any STSTransport, retry: RetryPolicy = .standard, system: LocalSystem = .current) {
        self.transport = transport
        self.retry = retry
        self.system = system
    }

    /// The hop's settings, where STS is reached (endpoint and signing region from the environment and the profile)
    /// and how often a request is tried.
    public func settings(for step: Step, hop: Int, context: RunContext) throws(AssumeRoleError) -> AssumeRoleBinding {
        let settings = try AssumeRoleSettings(profile: step.profile, hop: hop)
        do {
            return AssumeRoleBinding(
                settings: settings,
                sts: try STSConfiguration.resolve(environment: context.environment, profile: step.profile),
                retry: try retry.configured(environment: context.environment, profile: step.profile))
        } catch {
            throw .sts(hop: hop, roleArn: settings.roleArn, error: error)
        }
    }

    public func elevate(
        _ input: Credentials, step: Step, settings binding: AssumeRoleBinding, hop: Int, context: RunContext
    ) async throws -> Credentials {
        let settings = binding.settings
        let request = try makeRequest(settings, input: input, hop: hop, context: context)
        let logger = context.logger
        var configuration = binding.sts
        if let machineRegion = input.machine?.region {
            // The region the instance reported stands in for one nobody configured: resolved again with it.
            do {
                configuration = try STSConfiguration.resolve(
                    environment: context.environment, profile: step.profile, machineRegion: machineRegion)
            } catch {
                throw AssumeRoleError.sts(hop: hop, roleArn: settings.roleArn, error: error)
            }
        }
        let client = STSClient(
            configuration: configuration, transport: transport, retry: binding.retry, now: context.now,
            log: { line in logger.debug("hop \(hop): \(line)") })
        logger.debug("hop \(hop): assume \(request)")
        do {
            var credentials = try await client.assumeRole(request, with: input)
            credentials.machine = input.machine
            return credentials
        } catch {
            throw AssumeRoleError.sts(hop: hop, roleArn: settings.roleArn, error: error)
        }
    }

    /// The hop's settings and where STS is reached (endpoint and signing region from the environment and the
    /// profile). The MFA code is not part of it: a cached session made with one code serves until it nears expiry.
    public func cacheIdentity(for step: Step, settings binding: AssumeRoleBinding, context: RunContext)
        -> [String: String]?
    {
        let (settings, configuration) = (binding.settings, binding.sts)
        return [
            "role_arn": settings.roleArn,
            "role_session_name": settings.roleSessionName ?? "",
            "external_id": settings.externalId ?? "",
            "duration_seconds": settings.durationSeconds.map(String.init) ?? "",
            "mfa_serial": settings.mfaSerial ?? "",
            "source_identity": settings.sourceIdentity ?? "",
            "session_tags": join(settings.sessionTags.map { "\($0.key.count):\($0.key)=\($0.value)" }, separator: ","),
            "transitive_session_tags": join(settings.transitiveTagKeys, separator: ","),
            "region": configuration.region,
            "endpoint": configuration.endpoint.url,
        ]
    }

    /// The AssumeRole request for `settings`: defaults filled in, the chaining cap applied, the MFA code obtained.
    public func makeRequest(
        _ settings: AssumeRoleSettings,
        input: Credentials,
        hop: Int,
        context: RunContext
    ) throws(AssumeRoleError) -> AssumeRoleRequest {
        var duration = settings.durationSeconds ?? AssumeRoleSettings.defaultDurationSeconds
        if input.origin == .role, duration > AssumeRoleSettings.chainedMaximumSeconds {
            let cap = AssumeRoleSettings.chainedMaximumSeconds
            let note =
                "hop \(hop): duration_seconds \(duration) capped to \(cap): the input is a role session, and STS "
                + "allows at most one hour when chaining roles"
            context.logger.debug("\(note)")
            duration = cap
        }
        let sessionName =
            settings.roleSessionName
            ?? SessionName.defaultName(
                machine: input.machine, user: system.userName(context.environment), host: system.hostName())
        var tokenCode: String?
        if let serial = settings.mfaSerial {
            tokenCode = try mfaCode(serial: serial, roleArn: settings.roleArn, hop: hop, context: context)
        }
        return AssumeRoleRequest(
            roleArn: settings.roleArn,
            roleSessionName: sessionName,
            durationSeconds: duration,
            externalId: settings.externalId,
            serialNumber: settings.mfaSerial,
            tokenCode: tokenCode,
            sourceIdentity: settings.sourceIdentity,
            tags: settings.sessionTags,
            transitiveTagKeys: settings.transitiveTagKeys
        )
    }

    private func mfaCode(serial: String, roleArn: String, hop: Int, context: RunContext) throws(AssumeRoleError)
        -> String
    {
        if let given = context.tokenCode {
            guard Self.isTokenCode(given) else { throw .invalidTokenCode(hop: hop, roleArn: roleArn, fromOption: true) }
            return given
        }
        guard context.mayPrompt else { throw .promptRefusedForMFA(hop: hop, roleArn: roleArn, serial: serial) }
        guard let typed = system.readCode("aws-elevate: MFA code for \(singleLine(serial)): ") else {
            throw .noTerminalForMFA(hop: hop, roleArn: roleArn, serial: serial)
        }
        let code = String(typed.filter { $0 != " " && $0 != "\r" && $0 != "\t" })
        guard Self.isTokenCode(code) else { throw .invalidTokenCode(hop: hop, roleArn: roleArn, fromOption: false) }
        return code
    }

    /// Whether `code` is six ASCII digits, the only shape STS accepts.
    public static func isTokenCode(_ code: String) -> Bool {
        code.utf8.count == 6 && code.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }
}
