#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import ElevateCore
import ElevateHTTP
import ElevateSigV4

/// Sends one HTTP request and waits for the answer; ``HTTPClient`` in production, a fake in tests.
public protocol STSTransport: Sendable {
    /// The response to `request`, or why there is none.
    func send(_ request: HTTPRequest, options: HTTPOptions) throws(HTTPError) -> HTTPResponse
}

extension HTTPClient: STSTransport {}

extension STSClient {
    /// The transport aws-elevate uses: libcurl through ``HTTPClient``, loaded on the first request.
    public static var standardTransport: any STSTransport { HTTPClient() }
}

/// An STS client for the Query API: `POST` of a form body signed with SigV4 (service `sts`, the configuration's
/// region), answers read as XML.
///
/// Each attempt may take 5 s to connect and 30 s in all; failed attempts are retried as ``RetryPolicy`` says. Proxies
/// come from the environment (`HTTPS_PROXY`, `NO_PROXY`, …); TLS is always verified, against `caBundlePath` when set.
public struct STSClient: Sendable {
    /// Where requests go and how they are signed.
    public var configuration: STSConfiguration
    /// What sends the requests.
    public var transport: any STSTransport
    /// When to retry.
    public var retry: RetryPolicy
    /// The signing time.
    public var now: @Sendable () -> Date
    /// Receives one line per retry and per request, for `--debug`; lines hold no secret.
    public var log: @Sendable (String) -> Void

    /// The longest wait for a connection, in milliseconds.
    public static let connectTimeoutMilliseconds = 5_000
    /// The longest wait for one attempt, connection included, in milliseconds.
    public static let attemptTimeoutMilliseconds = 30_000
    /// The largest answer accepted: STS answers are a few kilobytes.
    public static let maxResponseBytes = 256 * 1024
    /// The longest STS message kept in an error, in characters.
    static let maxMessageLength = 400

    /// A client for `configuration`.
    public init(
        configuration: STSConfiguration,
        transport: any STSTransport = HTTPClient(),
        retry: RetryPolicy = .standard,
        now: @escaping @Sendable () -> Date = { Date() },
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.transport = transport
        self.retry = retry
        self.now = now
        self.log = log
    }

    /// A client for the STS that `environment` and `profile` describe (``STSConfiguration/resolve(environment:profile:machineRegion:)``),
    /// retrying as `retry` says with the profile's botocore attempt settings applied
    /// (``RetryPolicy/configured(environment:profile:)``): how every plugin that calls STS for a profile makes one.
    public init(
        environment: [String: String],
        profile: Profile?,
        machineRegion: String? = nil,
        transport: any STSTransport,
        retry: RetryPolicy,
        now: @escaping @Sendable () -> Date,
        log: @escaping @Sendable (String) -> Void
    ) throws(STSError) {
        self.init(
            configuration: try STSConfiguration.resolve(
                environment: environment, profile: profile, machineRegion: machineRegion),
            transport: transport, retry: try retry.configured(environment: environment, profile: profile), now: now,
            log: log)
    }

    /// Assumes a role with `credentials`: the role session's credentials (origin `.role`, `principalArn` the
    /// assumed-role ARN, `expiration` set; `machine` is left `nil` for the caller to fill in).
    public func assumeRole(_ request: AssumeRoleRequest, with credentials: Credentials) async throws(STSError)
        -> Credentials
    {
        let secrets = [credentials.secretAccessKey, credentials.sessionToken, request.tokenCode].compactMap { $0 }
        return try await roleSession(
            action: "AssumeRole", parameters: request.parameters, credentials: credentials, secrets: secrets)
    }

    /// Assumes a role with a web identity token: an unsigned request, since the token authenticates it. The role
    /// session's credentials come back as for ``assumeRole(_:with:)``.
    public func assumeRoleWithWebIdentity(_ request: AssumeRoleWithWebIdentityRequest) async throws(STSError)
        -> Credentials
    {
        try await roleSession(
            action: "AssumeRoleWithWebIdentity", parameters: request.parameters, credentials: nil,
            secrets: [request.webIdentityToken])
    }

    /// Sends an action of the AssumeRole family and reads the role session out of its answer.
    private func roleSession(
        action: String, parameters: [(name: String, value: String)], credentials: Credentials?, secrets: [String]
    ) async throws(STSError) -> Credentials {
        let response = try await perform(
            action: action, parameters: parameters, credentials: credentials, secrets: secrets)
        do {
            return try STSResponse.assumedRole(response.body, action: action)
        } catch {
            throw .unexpectedResponse(
                action: action, endpoint: configuration.endpoint.description, status: response.status,
                detail: error.detail, attempts: 1)
        }
    }

    /// Who `credentials` stand for.
    public func getCallerIdentity(with credentials: Credentials) async throws(STSError) -> CallerIdentity {
        let secrets = [credentials.secretAccessKey, credentials.sessionToken].compactMap { $0 }
        let response = try await perform(
            action: "GetCallerIdentity", parameters: getCallerIdentityParameters, credentials: credentials,
            secrets: secrets)
        do {
            return try STSResponse.callerIdentity(response.body)
        } catch {
            throw .unexpectedResponse(
                action: "GetCallerIdentity", endpoint: configuration.endpoint.description, status: response.status,
                detail: error.detail, attempts: 1)
        }
    }

    /// The HTTP request for `parameters`, unsigned (for actions that a token in the parameters authenticates).
    public func unsignedRequest(parameters: [(name: String, value: String)]) -> HTTPRequest {
        let endpoint = configuration.endpoint
        let body = SigV4Request.queryAPIPost(host: endpoint.host, parameters: parameters).body
        let headers: HTTPHeaders = [
            "Host": endpoint.host,
            "Content-Type": SigV4Request.queryAPIContentType,
            "User-Agent": "aws-elevate",
        ]
        return HTTPRequest(method: .post, url: endpoint.url, headers: headers, body: body)
    }

    /// The HTTP request for `parameters` signed with `credentials` at `date`.
    public func signedRequest(
        parameters: [(name: String, value: String)],
        credentials: Credentials,
        date: Date
    ) throws(STSError) -> HTTPRequest {
        let endpoint = configuration.endpoint
        var unsigned = SigV4Request.queryAPIPost(host: endpoint.host, parameters: parameters)
        unsigned.path = endpoint.path
        let signer = SigV4Signer(
            credentials: SigV4Credentials(
                accessKeyId: credentials.accessKeyId,
                secretAccessKey: credentials.secretAccessKey,
                sessionToken: credentials.sessionToken
            ),
            region: configuration.region,
            service: "sts"
        )
        let signature: SigV4Signature
        do {
            signature = try signer.sign(unsigned, date: date)
        } catch {
            throw .signingFailed(detail: error.description)
        }
        var headers: HTTPHeaders = [
            "Host": endpoint.host,
            "Content-Type": SigV4Request.queryAPIContentType,
            "User-Agent": "aws-elevate",
        ]
        for header in signature.headers {
            headers.add(name: header.name, value: header.value)
        }
        return HTTPRequest(method: .post, url: endpoint.url, headers: headers, body: unsigned.body)
    }

    var options: HTTPOptions {
        HTTPOptions(
            proxy: .environment,
            connectTimeoutMilliseconds: Self.connectTimeoutMilliseconds,
            timeoutMilliseconds: Self.attemptTimeoutMilliseconds,
            caBundlePath: configuration.caBundlePath,
            maxResponseBytes: Self.maxResponseBytes
        )
    }

    /// Sends the request until it succeeds (2xx), fails for good, or the retry policy gives up.
    private func perform(
        action: String,
        parameters: [(name: String, value: String)],
        credentials: Credentials?,
        secrets: [String]
    ) async throws(STSError) -> HTTPResponse {
        let endpoint = configuration.endpoint
        let signing = credentials.map {
            "signed for \(configuration.region) (\(configuration.regionSource)) with key \($0.maskedAccessKeyId)"
        }
        log("sts \(action) at \(endpoint) (\(endpoint.source)), \(signing ?? "unsigned")")
        if endpoint.url.hasPrefix("https://") {
            if let bundle = configuration.caBundlePath {
                let source = configuration.caBundleSource.map(singleLine) ?? "the CA bundle"
                log("sts tls: trusting only \(stsQuoted(bundle)) (\(source)), not the system's CAs")
            } else {
                log("sts tls: trusting the system's CAs")
            }
        }
        let start = retry.uptime()
        var attempt = 0
        while true {
            attempt += 1
            // Signed again for each attempt: the signature is only valid for a few minutes around its date.
            let request =
                if let credentials {
                    try signedRequest(parameters: parameters, credentials: credentials, date: now())
                } else {
                    unsignedRequest(parameters: parameters)
                }
            let failure: STSError
            let retryable: Bool
            do {
                let response = try transport.send(request, options: options)
                if (200...299).contains(response.status) { return response }
                let document = STSResponse.serviceError(response.body)
                if let document {
                    failure = .service(
                        action: action, status: response.status, code: Self.clean(document.code, secrets: secrets),
                        message: Self.clean(document.message, secrets: secrets), attempts: attempt)
                } else {
                    failure = .unexpectedResponse(
                        action: action, endpoint: endpoint.description, status: response.status,
                        detail: "no STS error document", attempts: attempt)
                }
                retryable = RetryPolicy.isRetryable(status: response.status, code: document?.code)
            } catch {
                if case .tlsFailed(_, let detail) = error {
                    failure = .tls(
                        action: action, endpoint: endpoint.description, detail: detail,
                        caBundle: configuration.caBundlePath, caBundleSource: configuration.caBundleSource,
                        attempts: attempt)
                } else {
                    failure = .transport(
                        action: action, endpoint: endpoint.description, detail: error.description,
                        attempts: attempt)
                }
                retryable = RetryPolicy.isRetryable(error)
            }
            guard retryable, attempt < retry.maxAttempts else { throw failure }
            let wait = retry.delay(beforeRetry: attempt)
            guard retry.uptime() - start + wait <= retry.budget else {
                log("sts \(action): \(failure.problem); no retry: the \(retry.budget) retry budget is spent")
                throw failure
            }
            log(
                "sts \(action): \(failure.problem); retrying in \(wait) (attempt \(attempt + 1) of \(retry.maxAttempts))"
            )
            await retry.sleep(wait)
        }
    }

    /// A server-supplied text made safe for a message: every secret of the request removed, on one line, bounded.
    package static func clean(_ text: String, secrets: [String]) -> String {
        var result = text
        for secret in secrets where !secret.isEmpty {
            result = replacingBytes(of: secret, with: "<redacted>", in: result)
        }
        result = singleLine(result)
        if result.count > maxMessageLength {
            result = String(result.prefix(maxMessageLength - 3)) + "..."
        }
        return result
    }
}
