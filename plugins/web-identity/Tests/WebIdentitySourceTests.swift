import Foundation
import ElevateCore
import ElevateHTTP
import ElevateSTS
import InMemoryLogging
import Logging
import Synchronization
import Testing

@testable import WebIdentitySource

private let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlLXNlY3JldA"
private let roleArn = "arn:aws:iam::123456789012:role/eks-pod"

private let successBody = """
    <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
    <AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>system:serviceaccount</SubjectFromWebIdentityToken>
    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/eks-pod/pod-1</Arn>
    <AssumedRoleId>AROAEXAMPLE:pod-1</AssumedRoleId></AssumedRoleUser>
    <Credentials><AccessKeyId>ASIAWEBIDENTITY00001</AccessKeyId><SecretAccessKey>web/secret</SecretAccessKey>
    <SessionToken>web-token</SessionToken><Expiration>2030-01-01T01:00:00Z</Expiration></Credentials>
    </AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>
    """

/// Answers every request with the same response and records the requests.
private final class RecordingTransport: STSTransport {
    let response: HTTPResponse
    let sent = Mutex<[HTTPRequest]>([])

    init(status: Int = 200, body: String) {
        response = HTTPResponse(status: status, body: Array(body.utf8))
    }

    var requests: [HTTPRequest] { sent.withLock { $0 } }

    func send(_ request: HTTPRequest, options: HTTPOptions) throws(HTTPError) -> HTTPResponse {
        sent.withLock { $0.append(request) }
        return response
    }
}

/// A token file in a fresh temporary directory.
private final class TokenFile {
    let directory: String
    var path: String { directory + "/token" }

    init(_ content: String?) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("web-identity-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let content { try Data(content.utf8).write(to: URL(fileURLWithPath: path)) }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}

private func step(_ values: [String: String]) -> Step {
    Step(plugin: "web-identity", profile: Profile(name: "pod", values: values))
}

private func context(_ environment: [String: String] = ["AWS_REGION": "eu-west-1"], logger: Logger? = nil)
    -> RunContext
{
    RunContext(
        environment: environment,
        logger: logger ?? Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
        now: { Date(timeIntervalSince1970: 1_900_000_000) })
}

private func run(_ values: [String: String], transport: RecordingTransport, logger: Logger? = nil) async throws
    -> Credentials?
{
    try await WebIdentitySource(transport: transport, retry: .none)
        .credentials(for: step(values), context: context(logger: logger))
}

@Suite("source plugin web-identity")
struct WebIdentitySourceTests {
    @Test("an unsigned AssumeRoleWithWebIdentity with the file's token gives a role session")
    func success() async throws {
        let file = try TokenFile(token + "\n")
        let transport = RecordingTransport(body: successBody)
        let credentials = try #require(
            try await run(
                ["role_arn": roleArn, "web_identity_token_file": file.path, "role_session_name": "pod-1"],
                transport: transport))
        #expect(credentials.accessKeyId == "ASIAWEBIDENTITY00001")
        #expect(credentials.sessionToken == "web-token")
        #expect(credentials.origin == .role)
        #expect(credentials.principalArn == "arn:aws:sts::123456789012:assumed-role/eks-pod/pod-1")
        let request = try #require(transport.requests.first)
        #expect(request.url == "https://sts.eu-west-1.amazonaws.com/")
        #expect(request.headers["Authorization"] == nil, "the token authenticates the request: no signature")
        let body = String(decoding: request.body, as: UTF8.self)
        #expect(body.contains("Action=AssumeRoleWithWebIdentity"))
        #expect(body.contains("RoleSessionName=pod-1"))
        #expect(body.contains("WebIdentityToken=\(token)"), "the token without its trailing newline")
    }

    @Test("without role_session_name the session is named after the time, as botocore names it")
    func defaultSessionName() async throws {
        let file = try TokenFile(token)
        let transport = RecordingTransport(body: successBody)
        _ = try await run(["role_arn": roleArn, "web_identity_token_file": file.path], transport: transport)
        let body = String(decoding: try #require(transport.requests.first).body, as: UTF8.self)
        #expect(body.contains("RoleSessionName=aws-elevate-1900000000"))
    }

    @Test("the token never reaches the debug log or an error message")
    func tokenStaysSecret() async throws {
        let file = try TokenFile(token)
        let handler = InMemoryLogHandler()
        let logger = Logger(label: "test") { _ in
            var all = handler
            all.logLevel = .trace
            return all
        }
        let refusal = "<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>bad token \(token)</Message>"
            + "</Error></ErrorResponse>"
        let transport = RecordingTransport(status: 400, body: refusal)
        let error = try await #require(throws: WebIdentityError.self) {
            try await run(["role_arn": roleArn, "web_identity_token_file": file.path], transport: transport,
                          logger: logger)
        }
        #expect(error.problem.contains("InvalidIdentityToken"))
        #expect(!error.problem.contains(token))
        let logged = handler.entries.map { "\($0.message)" }.joined(separator: "\n")
        #expect(logged.contains("AssumeRoleWithWebIdentity") && logged.contains("unsigned"))
        #expect(!logged.contains(token))
    }

    @Test("a missing, empty or oversized token file is reported with its path before anything is sent")
    func tokenFileProblems() async throws {
        let missing = try TokenFile(nil)
        let empty = try TokenFile(" \n")
        let huge = try TokenFile(String(repeating: "x", count: 70_000))
        for (file, reason) in [
            (missing, "no such file or directory"), (empty, "the file is empty"),
            (huge, "it is larger than 64 KiB, which no token is"),
        ] {
            let transport = RecordingTransport(body: successBody)
            let error = try await #require(throws: WebIdentityError.self) {
                try await run(["role_arn": roleArn, "web_identity_token_file": file.path], transport: transport)
            }
            #expect(error == .unreadableToken(path: file.path, reason: reason))
            #expect(error.isDenial, "no token: a cached session does not stand in")
            #expect(transport.requests.isEmpty)
        }
    }

    @Test("a rejected or expired token is a denial; a throttled or failing STS is not", arguments: [
        (400, "InvalidIdentityToken", true), (400, "ExpiredTokenException", true), (403, "AccessDenied", true),
        (400, "IDPCommunicationError", false), (400, "Throttling", false), (500, "InternalFailure", false),
    ])
    func denials(status: Int, code: String, isDenial: Bool) async throws {
        let file = try TokenFile("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
        let body = """
            <ErrorResponse><Error><Type>Sender</Type><Code>\(code)</Code><Message>m</Message></Error></ErrorResponse>
            """
        let error = try await #require(throws: WebIdentityError.self) {
            try await run(
                ["role_arn": roleArn, "web_identity_token_file": file.path],
                transport: RecordingTransport(status: status, body: body))
        }
        #expect(error.isDenial == isDenial, "\(error)")
    }

    @Test("invalid settings are configuration errors quoting the value", arguments: [
        (["role_arn": "not-an-arn", "web_identity_token_file": "/t"], "role_arn"),
        (["role_arn": roleArn, "web_identity_token_file": "/t", "role_session_name": "a b"], "role_session_name"),
    ])
    func invalidSettings(values: [String: String], key: String) throws {
        let error = try #require(throws: WebIdentityError.self) { try WebIdentitySettings(profile: Profile(name: "pod", values: values)) }
        guard case .invalidSetting(_, let named, _, _) = error else { Issue.record("got \(error)"); return }
        #expect(named == key)
        #expect(error.category == .configuration)
    }

    @Test("the cache identity is the role, the session setting, the token file's path and where STS is reached")
    func identity() throws {
        let identity = try WebIdentitySource().cacheIdentity(
            for: step(["role_arn": roleArn, "web_identity_token_file": "/var/run/token"]), context: context())
        #expect(identity == [
            "role_arn": roleArn, "role_session_name": "", "web_identity_token_file": "/var/run/token",
            "region": "eu-west-1", "endpoint": "https://sts.eu-west-1.amazonaws.com/",
        ])
        #expect(!WebIdentitySource().readsLocally)
    }
}
