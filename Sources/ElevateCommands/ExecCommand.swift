#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ElevateConfig
import ElevateCore
import ElevateCrypto

/// `aws-elevate exec --profile NAME [--server] -- CMD ARGS…`: one command with a profile's credentials.
struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run one command with a profile's credentials, without touching the shell.",
        discussion: """
            Without --server the command gets the keys in its environment (AWS_ACCESS_KEY_ID and friends, \
            AWS_PROFILE and AWS_DEFAULT_PROFILE removed) and replaces aws-elevate: its exit status and signals are \
            the command's. With --server it gets no keys: a loopback endpoint in the ECS container format \
            (AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN) that the SDKs poll, which \
            serves fresh sessions through the cache for as long as the command runs and is gone when it exits.
            Exit status: the command's; 127 when it is not found, 126 when it cannot run; 1 or 2 when the profile \
            fails, before the command starts.
            Example: aws-elevate exec --profile admin-chain -- aws sts get-caller-identity
            """
    )

    @Option(name: .long, help: "The profile (default: AWS_DEFAULT_PROFILE, then AWS_PROFILE, then 'default').")
    var profile: String?

    @Option(name: .long, help: "The current code of the MFA device named by mfa_serial (else asked for on /dev/tty).")
    var tokenCode: String?

    @Flag(
        name: .long, help: "Serve the credentials from a loopback endpoint instead of putting keys in the environment.")
    var server = false

    @OptionGroup var global: GlobalOptions

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after '--'.")
    var command: [String] = []

    func validate() throws {
        if profile?.isEmpty == true { throw ValidationError("--profile must not be empty") }
        if tokenCode?.isEmpty == true { throw ValidationError("--token-code must not be empty") }
        if command.isEmpty { throw ValidationError("give the command to run after '--'") }
        if command[0].isEmpty { throw ValidationError("the command must not be empty") }
    }

    func run() async throws {
        let pipeline = Pipeline.forCommand(debug: global.debug, tokenCode: tokenCode)
        let name = profile ?? defaultProfileName(environment: pipeline.environment)
        let arguments = Self.commandBytes(parsed: command)
        let inherited = ChildEnvironment.current()
        let file: [UInt8]
        switch CommandLauncher.resolve(arguments[0], path: inherited.value(of: "PATH")) {
        case .success(let found): file = found
        case .failure(let refusal): Self.refuse(refusal)
        }
        // Credentials first: a broken profile fails before the command starts.
        let (plan, credentials) = try await pipeline.run(profile: name) { plan in
            (plan, try await pipeline.credentials(for: plan))
        }
        if server {
            try await serve(
                profile: name, plan: plan, first: credentials, pipeline: pipeline, file: file, arguments: arguments,
                inherited: inherited)
        } else {
            let child = try await FailureReport.run(profile: name) {
                try ChildEnvironment.withKeys(credentials, profile: name, region: plan.region, inherited: inherited)
            }
            Self.refuse(CommandLauncher.replace(file: file, arguments: arguments, environment: child))
        }
    }

    /// The command line after `--` as the bytes this process was given (a `String` would repair bytes that are
    /// not UTF-8); the parsed words when the raw ones cannot be matched.
    static func commandBytes(parsed: [String]) -> [[UInt8]] {
        let raw = ProcessArguments.bytes
        if let terminator = raw.dropFirst().firstIndex(of: Array("--".utf8)) {
            let words = Array(raw[(terminator + 1)...])
            if words.count == parsed.count { return words }
        }
        return parsed.map { Array($0.utf8) }
    }

    static func refuse(_ refusal: CommandLauncher.Refusal) -> Never {
        writeStderrLine("aws-elevate: exec: \(refusal.message)")
        Glibc.exit(refusal.exitCode)
    }

    private func serve(
        profile: String, plan: BoundPlan, first: Credentials, pipeline: Pipeline, file: [UInt8], arguments: [[UInt8]],
        inherited: ChildEnvironment
    ) async throws {
        try await FailureReport.run(profile: profile) {
            guard first.sessionToken != nil, first.expiration != nil else { throw ExecError.notTemporary }
        }
        warnAboutDefaultProfile(pipeline: pipeline)
        let setup = try await FailureReport.run(profile: profile) {
            try Self.prepareServer(profile: profile, region: plan.region, inherited: inherited)
        }
        let (endpoint, token, relay, child) = (setup.endpoint, setup.token, setup.relay, setup.child)
        let pid: pid_t
        switch CommandLauncher.spawn(
            file: file, arguments: arguments, environment: child, defaultSignals: SignalRelay.relayed)
        {
        case .success(let started): pid = started
        case .failure(let refusal):
            endpoint.close()
            Self.refuse(refusal)
        }
        // Later fetches never reuse the MFA code: it was spent on the first one, and the cache holds its session.
        let later = Pipeline(
            registry: pipeline.registry, environment: pipeline.environment, logger: pipeline.logger, tokenCode: nil)
        let loop = ServerLoop(
            endpoint: endpoint, relay: relay, child: pid, token: token, path: Array(Self.path.utf8), profile: profile,
            logger: pipeline.logger, fetch: { try await later.credentials(for: plan) })
        let status = await loop.run()
        endpoint.close()
        relay.restoreDefaults()
        Self.finish(like: status)
    }

    private struct ServerSetup {
        var endpoint: CredentialEndpoint
        var token: [UInt8]
        var relay: SignalRelay
        var child: ChildEnvironment
    }

    /// The endpoint, its token, the signal handlers and the child's environment, before the child starts.
    private static func prepareServer(
        profile: String, region: String?, inherited: ChildEnvironment
    ) throws(ExecError) -> ServerSetup {
        let token: [UInt8]
        do {
            token = Array(lowercaseHex(try randomBytes(count: 32)).utf8)
        } catch {
            throw .token(detail: String(describing: error))
        }
        let endpoint = try CredentialEndpoint()
        do {
            let child = try ChildEnvironment.withEndpoint(
                uri: "http://\(endpoint.authority)\(path)", token: String(decoding: token, as: UTF8.self),
                profile: profile, region: region, inherited: inherited)
            return ServerSetup(endpoint: endpoint, token: token, relay: try SignalRelay(), child: child)
        } catch {
            endpoint.close()
            throw error
        }
    }

    /// The path the endpoint serves.
    static let path = "/aws-elevate/credentials"

    /// Exits as the child did: its exit status, or its terminating signal raised on this process.
    static func finish(like status: Int32) -> Never {
        let signal = status & 0x7F
        if signal == 0 { Glibc.exit((status >> 8) & 0xFF) }
        // The caller sees the same signal; no core file of this process for the child's.
        var limit = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &limit)
        Glibc.signal(signal, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(signal)
        Glibc.exit(128 + signal)
    }

    /// A `default` profile with credentials of its own outranks the endpoint in botocore's chain (its shared
    /// credentials, process and config providers come before the container provider); say so once.
    private func warnAboutDefaultProfile(pipeline: Pipeline) {
        guard let config = try? pipeline.config(),
            let fallback = config.profile(named: "default")
        else { return }
        let keys = [
            "aws_access_key_id", "role_arn", "credential_process", "sso_session", "sso_start_url",
            "web_identity_token_file", "login_session",
        ]
        guard let key = keys.first(where: { fallback[$0] != nil }) else { return }
        writeStderrLine(
            "aws-elevate: warning: the 'default' profile sets '\(key)': an SDK in the command that falls back to it "
                + "uses those credentials before the endpoint")
    }
}
