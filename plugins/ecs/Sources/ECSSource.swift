#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import ElevateCore
import ElevateHTTP

/// Source plugin `ecs`: the container's role from its credential endpoint, as botocore's `ContainerProvider`
/// fetches it: the ECS agent (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, also Fargate and CodeBuild), EKS Pod
/// Identity and other agents (`AWS_CONTAINER_CREDENTIALS_FULL_URI` with an authorization token), or
/// `aws-elevate exec --server`.
///
/// Chosen by `credential_source = EcsContainer`, and for a requested profile holding nothing else that yields
/// credentials when one of the URI variables is set (botocore's default chain tries its container provider after
/// every provider of the profile). Each attempt has 2 s for the answer (over `https://` 2 s more for the connection),
/// and a failed one is tried again 1 s later, 3 attempts in all, as botocore's `ContainerMetadataFetcher` does;
/// a 401 or 403 is final.
public struct ECSSource: SourcePlugin {
    public let name = "ecs"
    public let summary = "the container's role from the ECS or EKS Pod Identity endpoint (AWS_CONTAINER_CREDENTIALS_*)"

    /// `credential_source = EcsContainer`, and the container place of botocore's chain when a URI variable is set.
    public var selection: SourceSelection {
        SourceSelection(
            ranks: [.container], credentialSource: "EcsContainer",
            environment: [ECSSettings.relativeVariable, ECSSettings.fullVariable])
    }

    /// botocore's `ContainerMetadataFetcher.TIMEOUT_SECONDS`, in milliseconds.
    public static let timeoutMilliseconds = 2_000
    /// botocore's `ContainerMetadataFetcher.RETRY_ATTEMPTS`.
    public static let attempts = 3
    /// botocore's `ContainerMetadataFetcher.SLEEP_TIME`: the pause before the next attempt.
    public static let pause: Duration = .seconds(1)
    /// The largest answer accepted: a credentials document is a few kilobytes.
    static let maxResponseBytes = 64 * 1024
    /// The largest token file read.
    static let tokenFileLimit = 64 * 1024

    private let sleep: @Sendable (Duration) -> Void

    public init() {
        self.init(sleep: pauseThread)
    }

    /// The plugin with another way to wait between attempts (tests).
    init(sleep: @escaping @Sendable (Duration) -> Void) {
        self.sleep = sleep
    }

    /// The endpoint and the authorization source, from the environment.
    public func settings(for step: Step, context: RunContext) throws(ECSSourceError) -> ECSSettings {
        try ECSSettings(environment: context.environment)
    }

    /// The container's credentials. Never `nil`: the plan names this source only when the container's identity is
    /// asked for, so a missing or failing endpoint is an error.
    public func credentials(for step: Step, settings: ECSSettings, context: RunContext) async throws -> Credentials? {
        try fetch(settings, context: context)
    }

    /// The URL (for an ECS relative URI, a path unique to the task) and where the token comes from, never the token:
    /// a cache hit asks the endpoint nothing.
    public func cacheIdentity(for step: Step, settings: ECSSettings, context: RunContext) -> [String: String]? {
        let authorization: String
        switch settings.authorization {
        case .none: authorization = "none"
        case .token: authorization = ECSSettings.tokenVariable
        case .file(let path): authorization = ECSSettings.tokenFileVariable + " " + path
        }
        return ["url": settings.url, "authorization": authorization]
    }

    /// The credentials the endpoint `settings` describe gives; debug lines go to `context.logger`.
    public func fetch(_ settings: ECSSettings, context: RunContext) throws(ECSSourceError) -> Credentials {
        let log = context.logger
        var headers: HTTPHeaders = ["Accept": "application/json"]
        let authorization: String
        switch settings.authorization {
        case .none:
            authorization = "none"
        case .token(let token):
            headers.add(name: "Authorization", value: token)
            authorization = ECSSettings.tokenVariable
        case .file(let path):
            headers.add(name: "Authorization", value: try readToken(path))
            authorization = "\(ECSSettings.tokenFileVariable) '\(singleLine(path))'"
        }
        log.debug("ecs: GET '\(settings.endpoint)' (\(settings.variable)), authorization: \(authorization)")
        let request = HTTPRequest(method: .get, url: settings.url, headers: headers)
        let https = settings.endpoint.utf8.starts(with: "https:".utf8)
        let options = HTTPOptions(
            // A proxy must not see a loopback or link-local request; over TLS it sees only the tunnel.
            proxy: https ? .environment : .none,
            connectTimeoutMilliseconds: Self.timeoutMilliseconds,
            timeoutMilliseconds: Self.timeoutMilliseconds * (https ? 2 : 1),
            maxResponseBytes: Self.maxResponseBytes)
        let client = HTTPClient()
        var attempt = 1
        while true {
            let outcome: Result<HTTPResponse, HTTPError>
            do {
                outcome = .success(try client.send(request, options: options))
            } catch {
                outcome = .failure(error)
            }
            let failure: ECSSourceError
            let retry: Bool
            switch outcome {
            case .failure(let error):
                (failure, retry) = describe(error, settings: settings, attempt: attempt)
            case .success(let response) where response.status == 200:
                do {
                    let credentials = try parse(response.body, settings: settings)
                    let expiry = credentials.expiration.map(Timestamp.format) ?? "never"
                    log.debug("ecs: key \(credentials.maskedAccessKeyId), expires \(expiry)")
                    return credentials
                } catch {
                    failure = error
                    // botocore tries an answer that is not JSON again; a JSON document with bad fields is final.
                    if case .badDocument(_, _, let reason) = error, reason == notJSON {
                        retry = true
                    } else {
                        retry = false
                    }
                }
            case .success(let response) where response.status == 401 || response.status == 403:
                // botocore tries these again too, but a refused token does not become valid a second later.
                throw .refused(endpoint: settings.endpoint, variable: settings.variable, status: response.status)
            case .success(let response):
                failure = .unexpectedStatus(
                    endpoint: settings.endpoint, variable: settings.variable, status: response.status,
                    attempts: attempt)
                retry = true
            }
            guard retry, attempt < Self.attempts else { throw failure }
            log.debug("ecs: attempt \(attempt) of \(Self.attempts) failed (\(failure.problem)); trying again in 1 s")
            sleep(Self.pause)
            attempt += 1
        }
    }

    private func describe(_ error: HTTPError, settings: ECSSettings, attempt: Int) -> (ECSSourceError, Bool) {
        let (endpoint, variable) = (settings.endpoint, settings.variable)
        switch error {
        case .timedOut:
            return (.timedOut(endpoint: endpoint, variable: variable, attempts: attempt), true)
        case .connectFailed(_, let detail), .cannotResolveHost(_, let detail):
            return (.unreachable(endpoint: endpoint, variable: variable, detail: detail, attempts: attempt), true)
        case .transferFailed:
            return (.requestFailed(endpoint: endpoint, variable: variable, detail: error.description), true)
        default:
            return (.requestFailed(endpoint: endpoint, variable: variable, detail: error.description), false)
        }
    }

    /// The four fields botocore reads: `AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration`; each must be
    /// non-empty text, the expiration an RFC 3339 time, and the whole keep ``CredentialRules``.
    func parse(_ body: [UInt8], settings: ECSSettings) throws(ECSSourceError) -> Credentials {
        func bad(_ reason: String) -> ECSSourceError {
            .badDocument(endpoint: settings.endpoint, variable: settings.variable, reason: reason)
        }
        let fields: [String: JSONField]
        do {
            fields = try JSONDecoder().decode([String: JSONField].self, from: Data(body))
        } catch {
            // Never quoted: it may hold a secret.
            throw bad(notJSON)
        }
        func text(_ field: String) throws(ECSSourceError) -> String {
            switch fields[field] {
            case nil: throw bad("it has no \(field)")
            case .string(let value)? where !value.isEmpty: return value
            case .string?, .other?: throw bad("its \(field) is empty or not text")
            }
        }
        let keyId = try text("AccessKeyId")
        let secret = try text("SecretAccessKey")
        let token = try text("Token")
        let expirationText = try text("Expiration")
        guard let expiration = Timestamp.parse(expirationText) else {
            throw bad("its Expiration \(quoted(expirationText)) is not an RFC 3339 time")
        }
        let credentials = Credentials(
            accessKeyId: keyId, secretAccessKey: secret, sessionToken: token, expiration: expiration, origin: .role)
        // The field names the document's: `Token`, not the credential_process document's `SessionToken`.
        if let violation = CredentialRules.violation(in: credentials) {
            let field = violation.field == "SessionToken" ? "Token" : violation.field
            throw bad("its \(field) is not \(violation.rule)")
        }
        return credentials
    }

    /// The content of the token file: read on every fetch, whole, as botocore reads it (a trailing newline is
    /// refused, as there).
    func readToken(_ path: String) throws(ECSSourceError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw .invalidTokenFile(path: path, reason: errnoText(errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .invalidTokenFile(path: path, reason: errnoText(errno)) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw .invalidTokenFile(path: path, reason: "not a regular file")
        }
        switch readAll(fd: fd, sizeHint: Int(info.st_size), limit: Self.tokenFileLimit) {
        case .bytes(let bytes):
            guard let token = String(validating: bytes, as: UTF8.self) else {
                throw .invalidTokenFile(path: path, reason: "it is not UTF-8 text")
            }
            try ECSSettings.checkToken(token, from: "\(ECSSettings.tokenFileVariable) '\(singleLine(path))'")
            return token
        case .tooLarge:
            throw .invalidTokenFile(path: path, reason: "it is larger than 64 KiB, which no token is")
        case .failed(let code):
            throw .invalidTokenFile(path: path, reason: errnoText(code))
        }
    }
}

private let notJSON = "the answer is not a JSON object"

/// A JSON value that is a string or anything else, so that a wrong type names its field.
private enum JSONField: Decodable {
    case string(String)
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            self = .other
        }
    }
}

/// Blocks the calling thread for `duration`: the run is blocking already (libcurl), and a sleeping task would start
/// the thread pool for nothing.
@Sendable private func pauseThread(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR {
        request = remaining
    }
}
