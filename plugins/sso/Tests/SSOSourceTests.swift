#if canImport(Glibc)
    import Glibc
#endif
import ElevateCore
import ElevateHTTP
import ElevateSTS
import Foundation
import InMemoryLogging
import Logging
import Synchronization
import Testing

@testable import SSOSource

/// A transport that answers from a script, in order, and records every request.
private final class Script: STSTransport {
    enum Answer {
        case response(Int, String, HTTPHeaders = [:])
        case failure(HTTPError)
    }

    private let state: Mutex<(answers: [Answer], requests: [HTTPRequest])>

    init(_ answers: [Answer]) { state = Mutex((answers, [])) }

    var requests: [HTTPRequest] { state.withLock { $0.requests } }

    func send(_ request: HTTPRequest, options: HTTPOptions) throws(HTTPError) -> HTTPResponse {
        let answer = state.withLock { state -> Answer in
            state.requests.append(request)
            return state.answers.isEmpty
                ? .failure(.invalidRequest(reason: "no answer left")) : state.answers.removeFirst()
        }
        switch answer {
        case .response(let status, let body, let headers):
            return HTTPResponse(status: status, headers: headers, body: Array(body.utf8))
        case .failure(let error): throw error
        }
    }
}

/// A temporary HOME with `~/.aws/sso/cache`, removed afterwards.
private final class Home {
    let path = "/tmp/sso-home-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    var cache: String { path + "/.aws/sso/cache" }

    init() {
        try! FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The cache file of `key` (hashlib.sha1(key).hexdigest(), computed by Python for the two keys used here).
    func file(_ key: String) -> String {
        let names = [
            "corp": "ee0bfd2552fbd840c02cc48b6e823320543c450f",
            "https://example.awsapps.com/start": "e8be5486177c5b5392bd9aa76563515b29358e6e",
        ]
        return cache + "/" + names[key]! + ".json"
    }

    func write(_ key: String, _ text: String) {
        try! Data(text.utf8).write(to: URL(fileURLWithPath: file(key)))
    }

    func read(_ key: String) -> String {
        String(decoding: FileManager.default.contents(atPath: file(key)) ?? Data(), as: UTF8.self)
    }
}

private let now = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z

private func time(_ offset: TimeInterval) -> String { Timestamp.format(now.addingTimeInterval(offset)) }

private let roleAnswer = """
    {"roleCredentials": {"accessKeyId": "ASIASSOEXAMPLE000001", "secretAccessKey": "sso/secret+key/never-shown-0123",
    "sessionToken": "IQoJb3JpZ2luX2VjESSOSESSIONTOKEN/never+shown==", "expiration": 1800003600999}}
    """

private func token(expiresIn offset: TimeInterval, registration: TimeInterval = 86_400 * 30, extra: String = "")
    -> String
{
    """
    {"startUrl": "https://corp.awsapps.com/start", "region": "eu-west-1", "accessToken": "ACCESS-old",
    "expiresAt": "\(time(offset))", "clientId": "CLIENT", "clientSecret": "CLIENT-SECRET",
    "registrationExpiresAt": "\(time(registration))", "refreshToken": "REFRESH-old"\(extra)}
    """
}

private func sessionProfile() -> Profile {
    Profile(
        name: "dev", values: ["sso_session": "corp", "sso_account_id": "111122223333", "sso_role_name": "Admin+Ops"],
        ssoSession: ["sso_start_url": "https://corp.awsapps.com/start", "sso_region": "eu-west-1"])
}

private func legacyProfile() -> Profile {
    Profile(
        name: "old",
        values: [
            "sso_start_url": "https://example.awsapps.com/start", "sso_region": "us-east-1",
            "sso_account_id": "111122223333", "sso_role_name": "Admin",
        ])
}

private func run(_ script: Script, _ profile: Profile, home: Home) async throws(SSOSourceError) -> Credentials {
    let retry = RetryPolicy(maxAttempts: 3, sleep: { _ in })
    let source = SSOSource(transport: script, retry: retry)
    let context = RunContext(
        environment: ["HOME": home.path], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
        now: { now })
    let settings = try source.settings(for: Step(plugin: "sso", profile: profile), context: context)
    return try await source.fetch(settings, context: context)
}

private func failure(_ script: Script, _ profile: Profile, home: Home) async -> SSOSourceError? {
    do {
        _ = try await run(script, profile, home: home)
        return nil
    } catch {
        return error
    }
}

@Suite("sso source")
struct SSOSourceTests {
    @Test("a valid token is exchanged with GetRoleCredentials; the expiration is cut to whole seconds")
    func getRoleCredentials() async throws {
        let home = Home()
        home.write("corp", token(expiresIn: 3600))
        let script = Script([.response(200, roleAnswer)])
        let credentials = try await run(script, sessionProfile(), home: home)
        #expect(credentials.accessKeyId == "ASIASSOEXAMPLE000001")
        #expect(credentials.sessionToken == "IQoJb3JpZ2luX2VjESSOSESSIONTOKEN/never+shown==")
        #expect(credentials.expiration == Date(timeIntervalSince1970: 1_800_003_600))
        #expect(credentials.origin == .role)
        let request = try #require(script.requests.first)
        #expect(request.method == .get)
        #expect(
            request.url
                == "https://portal.sso.eu-west-1.amazonaws.com/federation/credentials?role_name=Admin%2BOps&account_id=111122223333"
        )
        #expect(request.headers["x-amz-sso_bearer_token"] == "ACCESS-old")
        #expect(script.requests.count == 1, "no refresh with an hour left")
    }

    @Test("a token with less than 15 minutes left is refreshed and written back as botocore writes it")
    func refresh() async throws {
        let home = Home()
        home.write("corp", token(expiresIn: 899, extra: ", \"other\": 1"))
        let answer =
            #"{"accessToken": "ACCESS-new", "tokenType": "Bearer", "expiresIn": 28800, "refreshToken": "REFRESH-new"}"#
        let script = Script([.response(200, answer), .response(200, roleAnswer)])
        _ = try await run(script, sessionProfile(), home: home)
        #expect(
            script.requests.map(\.url) == [
                "https://oidc.eu-west-1.amazonaws.com/token",
                "https://portal.sso.eu-west-1.amazonaws.com/federation/credentials?role_name=Admin%2BOps&account_id=111122223333",
            ])
        let body = try JSONSerialization.jsonObject(with: Data(script.requests[0].body)) as? [String: String]
        #expect(
            body == [
                "clientId": "CLIENT", "clientSecret": "CLIENT-SECRET", "grantType": "refresh_token",
                "refreshToken": "REFRESH-old",
            ])
        #expect(script.requests[1].headers["x-amz-sso_bearer_token"] == "ACCESS-new")
        #expect(
            home.read("corp")
                == #"{"startUrl": "https://corp.awsapps.com/start", "region": "eu-west-1", "accessToken": "ACCESS-new", "#
                + #""expiresAt": "\#(time(28800))", "clientId": "CLIENT", "clientSecret": "CLIENT-SECRET", "#
                + #""registrationExpiresAt": "\#(time(86_400 * 30))", "refreshToken": "REFRESH-new"}"#)
        var info = stat()
        #expect(stat(home.file("corp"), &info) == 0 && info.st_mode & 0o777 == 0o600)
        let left = try FileManager.default.contentsOfDirectory(atPath: home.cache)
        #expect(left.count == 1, "no temporary file is left: \(left)")
    }

    @Test("a refresh the service fails keeps a still valid token, as botocore's ClientError does")
    func refreshFailsKeepsToken() async throws {
        let home = Home()
        let original = token(expiresIn: 300)
        home.write("corp", original)
        let script = Script([
            .response(500, "{}"), .response(500, "{}"), .response(500, "{}"), .response(200, roleAnswer),
        ])
        _ = try await run(script, sessionProfile(), home: home)
        #expect(script.requests.count == 4, "3 attempts at the refresh, then the role with the old token")
        #expect(script.requests[3].headers["x-amz-sso_bearer_token"] == "ACCESS-old")
        #expect(home.read("corp") == original)
    }

    @Test("no answer from SSO-OIDC is an error, as botocore's connection error is")
    func refreshUnreachable() async {
        let home = Home()
        home.write("corp", token(expiresIn: 300))
        let refused = HTTPError.connectFailed(host: "oidc.eu-west-1.amazonaws.com", detail: "Connection refused")
        let error = await failure(
            Script([.failure(refused), .failure(refused), .failure(refused)]), sessionProfile(), home: home)
        guard case .unreachable(let service, _, _, 3)? = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(service == SSOClient.oidcService)
        #expect(error?.isDenial == false)
    }

    @Test("an answer without a refresh token writes none, as botocore does")
    func refreshWithoutRefreshToken() async throws {
        let home = Home()
        home.write("corp", token(expiresIn: -5))
        let script = Script([
            .response(200, #"{"accessToken": "ACCESS-new", "expiresIn": 3600}"#), .response(200, roleAnswer),
        ])
        _ = try await run(script, sessionProfile(), home: home)
        let written = try JSONSerialization.jsonObject(with: Data(home.read("corp").utf8)) as? [String: String]
        #expect(written?["refreshToken"] == nil && written?["accessToken"] == "ACCESS-new")
        #expect(written?["expiresAt"] == time(3600))
    }

    @Test("16 minutes left is not refreshed; the legacy form is never refreshed")
    func noRefresh() async throws {
        let home = Home()
        home.write("corp", token(expiresIn: 960))
        let script = Script([.response(200, roleAnswer)])
        _ = try await run(script, sessionProfile(), home: home)
        #expect(script.requests.count == 1)
        home.write("https://example.awsapps.com/start", token(expiresIn: 60))
        let legacy = Script([.response(200, roleAnswer)])
        _ = try await run(legacy, legacyProfile(), home: home)
        #expect(legacy.requests.map(\.url).allSatisfy { $0.contains("/federation/credentials") })
    }

    @Test("an expired token whose refresh is refused says to run aws sso login --sso-session")
    func expiredRefused() async {
        let home = Home()
        let original = token(expiresIn: -10)
        home.write("corp", original)
        let script = Script([.response(400, #"{"error": "invalid_grant", "error_description": "expired"}"#)])
        let error = await failure(script, sessionProfile(), home: home)
        guard case .expired(let login, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(login.command == "aws sso login --sso-session corp")
        #expect(error?.remedy == "run aws sso login --sso-session corp")
        #expect(error?.isDenial == true && error?.category == .credentials)
        #expect(script.requests.count == 1, "the refused refresh is not retried and no role is asked for")
        #expect(home.read("corp") == original, "the file is left as it was")
    }

    @Test("an expired registration or a token without refresh fields is not refreshed")
    func registrationExpired() async {
        let home = Home()
        home.write("corp", token(expiresIn: -10, registration: -1))
        let script = Script([])
        guard case .expired? = await failure(script, sessionProfile(), home: home) else {
            Issue.record("expected expired")
            return
        }
        #expect(script.requests.isEmpty)
        home.write("corp", #"{"accessToken": "A", "expiresAt": "\#(time(-5))"}"#)
        guard case .expired? = await failure(script, sessionProfile(), home: home) else {
            Issue.record("expected expired")
            return
        }
        #expect(script.requests.isEmpty)
    }

    @Test("an expired legacy token says to run aws sso login --profile, without a request")
    func legacyExpired() async {
        let home = Home()
        home.write("https://example.awsapps.com/start", token(expiresIn: 0))
        let script = Script([])
        let error = await failure(script, legacyProfile(), home: home)
        #expect(error?.remedy == "run aws sso login --profile old")
        #expect(script.requests.isEmpty)
    }

    @Test("no cached token says to log in")
    func noToken() async {
        let home = Home()
        let error = await failure(Script([]), sessionProfile(), home: home)
        #expect(error == .noToken(SSOLogin(form: .session("corp"), profile: "dev"), path: home.file("corp")))
        #expect(error?.problem.contains("no SSO token is cached for sso-session 'corp'") == true)
    }

    @Test(
        "a hostile token file is one clear error, never a crash",
        arguments: [
            ("[1, 2]", "not a JSON object"), ("{\"accessToken\": ", "not a JSON object"),
            ("{\"expiresAt\": \"2030-01-01T00:00:00Z\"}", "it has no accessToken"),
            ("{\"accessToken\": 5, \"expiresAt\": \"2030-01-01T00:00:00Z\"}", "accessToken is empty or not text"),
            ("{\"accessToken\": \"a\\nb\", \"expiresAt\": \"2030-01-01T00:00:00Z\"}", "control character"),
            ("{\"accessToken\": \"a\", \"expiresAt\": \"soon\"}", "is not a time"),
            ("{\"accessToken\": \"a\"}", "it has no expiresAt"),
            ("\u{FF}", "not UTF-8"),
        ])
    func hostileFile(content: String, reason: String) async {
        let home = Home()
        home.write("corp", content == "\u{FF}" ? "" : content)
        if content == "\u{FF}" {
            try! Data([0xFF, 0xFE]).write(to: URL(fileURLWithPath: home.file("corp")))
        }
        let error = await failure(Script([]), sessionProfile(), home: home)
        guard case .badTokenFile(_, _, let said)? = error else {
            Issue.record("got \(String(describing: error))"); return
        }
        #expect(said.contains(reason), "\(said)")
        #expect(error?.remedy == "run aws sso login --sso-session corp")
    }

    @Test("a directory or a huge file in the token's place is refused")
    func notAFile() async throws {
        let home = Home()
        try FileManager.default.createDirectory(atPath: home.file("corp"), withIntermediateDirectories: false)
        guard case .badTokenFile(_, _, let reason)? = await failure(Script([]), sessionProfile(), home: home) else {
            Issue.record("expected badTokenFile")
            return
        }
        #expect(reason == "it is not a regular file")
        try FileManager.default.removeItem(atPath: home.file("corp"))
        home.write("corp", String(repeating: " ", count: 70_000) + "{}")
        guard case .badTokenFile(_, _, let large)? = await failure(Script([]), sessionProfile(), home: home) else {
            Issue.record("expected badTokenFile")
            return
        }
        #expect(large.contains("larger than 64 KiB"))
    }

    @Test("401 says to log in; 403 names the role; 500 and 429 are tried again, 3 attempts in all")
    func portalErrors() async {
        let home = Home()
        home.write("corp", token(expiresIn: 3600))
        let unauthorized = await failure(
            Script([.response(401, #"{"message": "Session token not found or invalid"}"#)]), sessionProfile(),
            home: home)
        #expect(unauthorized?.remedy == "run aws sso login --sso-session corp")
        let forbidden = await failure(
            Script([
                .response(
                    403, #"{"message": "No access ACCESS-old"}"#, ["x-amzn-ErrorType": "ForbiddenException:http://x"])
            ]),
            sessionProfile(), home: home)
        #expect(forbidden?.problem.contains("ForbiddenException") == true)
        #expect(forbidden?.problem.contains("refused role 'Admin+Ops' in account '111122223333'") == true)
        #expect(forbidden?.problem.contains("ACCESS-old") == false, "the token never reaches a message")
        #expect(forbidden?.remedy.contains("sso_account_id and sso_role_name") == true)
        let busy = Script([
            .response(500, "{}"), .response(429, #"{"__type": "TooManyRequestsException"}"#),
            .response(200, roleAnswer),
        ])
        let credentials = try? await run(busy, sessionProfile(), home: home)
        #expect(credentials != nil && busy.requests.count == 3)
        let down = Script([
            .response(503, "{}"), .response(503, "{}"), .response(503, "{}"), .response(200, roleAnswer),
        ])
        let error = await failure(down, sessionProfile(), home: home)
        guard case .serviceFailed(_, _, 503, _, 3)? = error else {
            Issue.record("got \(String(describing: error))"); return
        }
        #expect(error?.isDenial == false)
    }

    @Test("an unusable GetRoleCredentials answer is reported without its secrets")
    func badAnswer() async {
        let home = Home()
        home.write("corp", token(expiresIn: 3600))
        let answer =
            #"{"roleCredentials": {"accessKeyId": "AKIA", "secretAccessKey": "s e", "sessionToken": "t", "expiration": 1}}"#
        let error = await failure(Script([.response(200, answer)]), sessionProfile(), home: home)
        guard case .badAnswer(_, _, let reason)? = error else {
            Issue.record("got \(String(describing: error))"); return
        }
        #expect(reason.contains("secretAccessKey") && !reason.contains("s e"))
        let noExpiration = #"{"roleCredentials": {"accessKeyId": "AKIA", "secretAccessKey": "s", "sessionToken": "t"}}"#
        guard case .badAnswer? = await failure(Script([.response(200, noExpiration)]), sessionProfile(), home: home)
        else {
            Issue.record("expected badAnswer")
            return
        }
    }

    @Test("the cache identity names the session, the start URL, region, account, role and portal, never the token")
    func identity() throws {
        let source = SSOSource(transport: Script([]))
        let context = RunContext(
            environment: ["HOME": "/nonexistent"], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let identity = try #require(
            try source.cacheIdentity(for: Step(plugin: "sso", profile: sessionProfile()), context: context))
        #expect(
            identity == [
                "sso_session": "corp", "sso_start_url": "https://corp.awsapps.com/start", "sso_region": "eu-west-1",
                "sso_account_id": "111122223333", "sso_role_name": "Admin+Ops",
                "portal": "https://portal.sso.eu-west-1.amazonaws.com/",
            ])
    }

    @Test("strings are written as Python's json.dumps writes them")
    func pythonJSON() {
        // json.dumps('é😀"\\\n\x7f\x01\t/')
        #expect(pythonJSONString("é😀\"\\\n\u{7F}\u{01}\t/") == #""\u00e9\ud83d\ude00\"\\\n\u007f\u0001\t/""#)
    }
}
