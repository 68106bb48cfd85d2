#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import ElevateCore
import ElevateHTTP
import ElevateSTS

/// The two unsigned JSON calls of IAM Identity Center that the `sso` source makes: the portal's
/// GetRoleCredentials and SSO-OIDC's CreateToken (refresh), each retried as botocore's standard mode retries:
/// throttling, 5xx answers and network failures, never a refusal.
package struct SSOClient: Sendable {
    var settings: SSOSettings
    var transport: any STSTransport
    var log: @Sendable (String) -> Void

    static let portalService = "the SSO portal"
    static let oidcService = "the SSO OIDC service"
    /// The largest answer accepted: both answers are a few kilobytes.
    static let maxResponseBytes = 256 * 1024
    /// The longest service message kept in an error, in characters.
    static let maxMessageLength = 300

    private var options: HTTPOptions {
        HTTPOptions(
            proxy: .environment, connectTimeoutMilliseconds: STSClient.connectTimeoutMilliseconds,
            timeoutMilliseconds: STSClient.attemptTimeoutMilliseconds, caBundlePath: settings.caBundlePath,
            maxResponseBytes: Self.maxResponseBytes)
    }

    /// The role credentials for `accessToken` (GET `/federation/credentials`, the token in
    /// `x-amz-sso_bearer_token`), with the expiration in epoch milliseconds cut to whole seconds as botocore does.
    func roleCredentials(accessToken: String, login: SSOLogin) async throws(SSOSourceError) -> Credentials {
        let endpoint = settings.portal
        let query = "role_name=\(percentEncoded(settings.roleName))&account_id=\(percentEncoded(settings.accountId))"
        let request = HTTPRequest(
            method: .get, url: base(endpoint) + "/federation/credentials?" + query,
            headers: [
                "Accept": "application/json", "x-amz-sso_bearer_token": accessToken,
                "User-Agent": "aws-elevate",
            ])
        log(
            "sso: GetRoleCredentials for role '\(singleLine(settings.roleName))' in account "
                + "'\(singleLine(settings.accountId))' at '\(endpoint)' (\(endpoint.source))")
        let (response, attempts) = try await send(request, service: Self.portalService, endpoint: endpoint)
        let secrets = [accessToken]
        switch response.status {
        case 200:
            return try Self.parseRoleCredentials(response.body, endpoint: endpoint)
        case 401:
            throw .unauthorized(login, endpoint: endpoint.description)
        case 400, 403, 404:
            throw .refused(
                login, endpoint: endpoint.description, status: response.status,
                detail: errorDetail(response, secrets: secrets), role: settings.roleName,
                account: settings.accountId)
        default:
            throw .serviceFailed(
                service: Self.portalService, endpoint: endpoint.description, status: response.status,
                detail: errorDetail(response, secrets: secrets), attempts: attempts)
        }
    }

    /// What CreateToken answered for a refresh.
    enum Refresh: Equatable {
        /// A new access token valid for `expiresIn` seconds, and a new refresh token when the answer has one.
        case token(accessToken: String, expiresIn: Double, refreshToken: String?)
        /// The service refused or failed (botocore's `ClientError`): the cached token stays as it is.
        case failed(status: Int, detail: String)
    }

    /// SSO-OIDC CreateToken with the `refresh_token` grant (POST `/token`).
    func createToken(clientId: String, clientSecret: String, refreshToken: String) async throws(SSOSourceError)
        -> Refresh
    {
        let endpoint = settings.oidc
        let body =
            "{\"clientId\": \(pythonJSONString(clientId)), \"clientSecret\": \(pythonJSONString(clientSecret)), "
            + "\"grantType\": \"refresh_token\", \"refreshToken\": \(pythonJSONString(refreshToken))}"
        let request = HTTPRequest(
            method: .post, url: base(endpoint) + "/token",
            headers: [
                "Content-Type": "application/json", "Accept": "application/json",
                "User-Agent": "aws-elevate",
            ],
            body: Array(body.utf8))
        log("sso: CreateToken (refresh) at '\(endpoint)' (\(endpoint.source))")
        let (response, _) = try await send(request, service: Self.oidcService, endpoint: endpoint)
        let secrets = [clientSecret, refreshToken]
        guard response.status == 200 else {
            return .failed(status: response.status, detail: errorDetail(response, secrets: secrets))
        }
        func bad(_ reason: String) -> SSOSourceError {
            .badAnswer(service: Self.oidcService, endpoint: endpoint.description, reason: reason)
        }
        guard let fields = try? JSONDecoder().decode([String: LooseField].self, from: Data(response.body)) else {
            throw bad("the answer is not a JSON object")
        }
        guard case .text(let accessToken)? = fields["accessToken"], !accessToken.isEmpty,
            accessToken.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F })
        else { throw bad("it has no usable accessToken") }
        guard case .number(let expiresIn)? = fields["expiresIn"], expiresIn.isFinite,
            (0...Self.longestLifetime).contains(expiresIn)
        else { throw bad("it has no expiresIn of 0 to \(Int(Self.longestLifetime)) seconds") }
        var refreshed: String?
        switch fields["refreshToken"] {
        case nil: refreshed = nil
        case .text(let value)?: refreshed = value
        case .number?, .other?: throw bad("its refreshToken is not text")
        }
        return .token(accessToken: accessToken, expiresIn: expiresIn, refreshToken: refreshed)
    }

    /// The longest access token lifetime accepted from CreateToken: a year (they last hours).
    static let longestLifetime: Double = 366 * 24 * 3600

    /// Sends `request`, again while the answer or the failure is one botocore retries and the policy allows.
    /// Returns the last answer and the number of attempts; throws when the last attempt got no answer.
    private func send(_ request: HTTPRequest, service: String, endpoint: STSEndpoint) async throws(SSOSourceError)
        -> (HTTPResponse, Int)
    {
        let retry = settings.retry
        let started = retry.uptime()
        var attempt = 1
        while true {
            let outcome: Result<HTTPResponse, HTTPError>
            do {
                outcome = .success(try transport.send(request, options: options))
            } catch {
                outcome = .failure(error)
            }
            let reason: String
            let delay: Duration
            switch outcome {
            case .success(let response):
                guard RetryPolicy.isRetryable(status: response.status, code: errorCode(response)) else {
                    return (response, attempt)
                }
                reason = "status \(response.status)"
                guard let wait = nextWait(attempt, started: started) else { return (response, attempt) }
                delay = wait
            case .failure(let error):
                guard RetryPolicy.isRetryable(error), let wait = nextWait(attempt, started: started) else {
                    throw .unreachable(
                        service: service, endpoint: endpoint.description, detail: error.description,
                        attempts: attempt)
                }
                reason = error.description
                delay = wait
            }
            log(
                "sso: attempt \(attempt) of \(retry.maxAttempts) to \(service) failed (\(singleLine(reason))); "
                    + "trying again")
            await retry.sleep(delay)
            attempt += 1
        }
    }

    /// The wait before the next attempt, or `nil` when the attempts or the time budget are spent.
    private func nextWait(_ attempt: Int, started: Duration) -> Duration? {
        let retry = settings.retry
        guard attempt < retry.maxAttempts else { return nil }
        let wait = retry.delay(beforeRetry: attempt)
        return retry.uptime() - started + wait <= retry.budget ? wait : nil
    }

    /// The answer's `roleCredentials`: three non-empty texts and an expiration in epoch milliseconds.
    package static func parseRoleCredentials(_ body: [UInt8], endpoint: STSEndpoint) throws(SSOSourceError)
        -> Credentials
    {
        func bad(_ reason: String) -> SSOSourceError {
            .badAnswer(service: Self.portalService, endpoint: endpoint.description, reason: reason)
        }
        guard let envelope = try? JSONDecoder().decode([String: LooseObject].self, from: Data(body)) else {
            throw bad("the answer is not a JSON object")
        }
        guard case .object(let fields)? = envelope["roleCredentials"] else { throw bad("it has no roleCredentials") }
        func text(_ name: String) throws(SSOSourceError) -> String {
            guard case .text(let value)? = fields[name], !value.isEmpty else {
                throw bad("its \(name) is missing, empty or not text")
            }
            return value
        }
        let keyId = try text("accessKeyId")
        let secret = try text("secretAccessKey")
        let token = try text("sessionToken")
        guard case .number(let milliseconds)? = fields["expiration"], milliseconds.isFinite,
            (0...253_402_300_799_000).contains(milliseconds)
        else { throw bad("its expiration is not a time in epoch milliseconds") }
        let expiration = Date(timeIntervalSince1970: (milliseconds / 1000).rounded(.down))
        let credentials = Credentials(
            accessKeyId: keyId, secretAccessKey: secret, sessionToken: token, expiration: expiration, origin: .role)
        if let violation = CredentialRules.violation(in: credentials) {
            let names = [
                "AccessKeyId": "accessKeyId", "SecretAccessKey": "secretAccessKey",
                "SessionToken": "sessionToken", "Expiration": "expiration",
            ]
            throw bad("its \(names[violation.field] ?? violation.field) is not \(violation.rule)")
        }
        return credentials
    }

    /// `scheme://authority[/path]` of `endpoint` without a final `/`, for appending an operation's path.
    private func base(_ endpoint: STSEndpoint) -> String {
        var url = endpoint.url
        while url.utf8.last == UInt8(ascii: "/") { url.removeLast() }
        return url
    }
}

/// The error code of a failed answer as botocore's JSON protocols read it: the `x-amzn-ErrorType` header up to its
/// `:`, else the body's `__type` after its `#`, `code` or `error`.
func errorCode(_ response: HTTPResponse) -> String? {
    if let header = response.headers["x-amzn-ErrorType"], !header.isEmpty {
        return String(decoding: header.utf8.prefix { $0 != UInt8(ascii: ":") }, as: UTF8.self)
    }
    guard let fields = try? JSONDecoder().decode([String: LooseField].self, from: Data(response.body)) else {
        return nil
    }
    for name in ["__type", "code", "error"] {
        if case .text(let value)? = fields[name], !value.isEmpty {
            return String(decoding: value.utf8.split(separator: UInt8(ascii: "#")).last ?? [], as: UTF8.self)
        }
    }
    return nil
}

/// `Code: message` of a failed answer for a message, quoted, on one line, cut short, with `secrets` removed.
func errorDetail(_ response: HTTPResponse, secrets: [String]) -> String {
    var message = ""
    if let fields = try? JSONDecoder().decode([String: LooseField].self, from: Data(response.body)) {
        for name in ["message", "Message", "error_description"] {
            if case .text(let value)? = fields[name] {
                message = value
                break
            }
        }
    }
    for secret in secrets where !secret.isEmpty {
        message = replacingBytes(of: secret, with: "<redacted>", in: message)
    }
    let code = errorCode(response).map { singleLine(quotedForMessage($0, limit: 80)) }
    let text = message.isEmpty ? "" : quotedForMessage(message, limit: SSOClient.maxMessageLength)
    switch (code, text.isEmpty) {
    case (let code?, false): return "\(code) \(text)"
    case (let code?, true): return code
    case (nil, false): return text
    case (nil, true): return "no error message"
    }
}

/// `text` percent-encoded for a query value: every byte but the unreserved `A-Z a-z 0-9 - _ . ~`.
func percentEncoded(_ text: String) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var bytes: [UInt8] = []
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            bytes.append(byte)
        default:
            bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// A JSON value that is text, a number or anything else.
enum LooseField: Decodable, Equatable {
    case text(String)
    case number(Double)
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(String.self) {
            self = .text(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else {
            self = .other
        }
    }
}

/// A JSON value that is an object of loose fields, or anything else.
enum LooseObject: Decodable {
    case object([String: LooseField])
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode([String: LooseField].self) {
            self = .object(value)
        } else {
            self = .other
        }
    }
}
