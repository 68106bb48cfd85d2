#if canImport(Glibc)
import Glibc
#endif
import ElevateCore
import Foundation
import InMemoryLogging
import Logging
import Synchronization
import Testing

@testable import ECSSource

/// Debug lines of one run.
private final class LogLines: Sendable {
    private let handler = InMemoryLogHandler()
    var text: String { handler.entries.map { "\($0.message)" }.joined(separator: "\n") }
    var logger: Logger {
        Logger(label: "test") { [handler] _ in
            var debug = handler
            debug.logLevel = .debug
            return debug
        }
    }
}

/// Records the pauses between attempts instead of sleeping through them.
private final class Pauses: Sendable {
    private let taken = Mutex<[Duration]>([])
    var all: [Duration] { taken.withLock { $0 } }
    var source: ECSSource { ECSSource(sleep: { duration in self.taken.withLock { $0.append(duration) } }) }
}

private let step = Step(plugin: "ecs", profile: Profile(name: "task"))

private func run(
    _ source: ECSSource, _ environment: [String: String], logs: LogLines = LogLines()
) async throws -> Credentials? {
    try await source.credentials(for: step, context: RunContext(environment: environment, logger: logs.logger))
}

private func failure(_ source: ECSSource, _ environment: [String: String], logs: LogLines = LogLines())
    async throws -> ECSSourceError
{
    do {
        let credentials = try await run(source, environment, logs: logs)
        throw Emulator.Failure(description: "expected an error, got \(String(describing: credentials))")
    } catch let error as ECSSourceError {
        return error
    }
}

/// A private file holding `bytes`, removed when the value goes away.
private final class TokenFile {
    let path = "/tmp/ecs-token-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    init(_ bytes: [UInt8]) { write(bytes) }
    deinit { unlink(path) }
    func write(_ bytes: [UInt8]) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(fd >= 0)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }
}

private let settingsForParsing = try! ECSSettings(environment: [ECSSettings.fullVariable: "http://127.0.0.1:9/c"])

@Suite("ecs source: the credentials document")
struct ECSDocumentTests {
    func parse(_ json: String) throws(ECSSourceError) -> Credentials {
        try ECSSource().parse(Array(json.utf8), settings: settingsForParsing)
    }

    @Test("the four fields botocore reads make a role session; other fields are ignored")
    func fields() throws {
        let credentials = try parse(
            """
            {"AccessKeyId": "ASIAX", "SecretAccessKey": "s/k+1", "Token": "t0k=", "Expiration": "2031-05-06T07:08:09Z",
             "RoleArn": "arn:aws:iam::123456789012:role/task", "AccountId": "123456789012"}
            """)
        #expect(credentials.accessKeyId == "ASIAX" && credentials.secretAccessKey == "s/k+1")
        #expect(credentials.sessionToken == "t0k=" && credentials.origin == .role)
        #expect(credentials.expiration.map(Timestamp.format) == "2031-05-06T07:08:09Z")
    }

    @Test(
        "a missing, empty or non-text field, a bad expiration or hostile values are refused, naming the field",
        arguments: [
            (#"{"SecretAccessKey": "s", "Token": "t", "Expiration": "2031-05-06T07:08:09Z"}"#, "it has no AccessKeyId"),
            (
                #"{"AccessKeyId": "A", "SecretAccessKey": "", "Token": "t", "Expiration": "2031-05-06T07:08:09Z"}"#,
                "its SecretAccessKey is empty or not text"
            ),
            (
                #"{"AccessKeyId": "A", "SecretAccessKey": "s", "Token": 7, "Expiration": "2031-05-06T07:08:09Z"}"#,
                "its Token is empty or not text"
            ),
            (#"{"AccessKeyId": "A", "SecretAccessKey": "s", "Token": "t"}"#, "it has no Expiration"),
            (
                #"{"AccessKeyId": "A", "SecretAccessKey": "s", "Token": "t", "Expiration": "tomorrow"}"#,
                "its Expiration 'tomorrow' is not an RFC 3339 time"
            ),
            (
                #"{"AccessKeyId":"A'; rm -r ~","SecretAccessKey":"s","Token":"t","Expiration":"2031-05-06T07:08:09Z"}"#,
                "its AccessKeyId is not 1 to 128 ASCII letters and digits"
            ),
            (
                #"{"AccessKeyId":"A","SecretAccessKey":"s e\ncret","Token":"t","Expiration":"2031-05-06T07:08:09Z"}"#,
                "its SecretAccessKey is not 1 to 1024 bytes of printable ASCII without spaces"
            ),
            (
                #"{"AccessKeyId":"A","SecretAccessKey":"s","Token":"t\u0000x","Expiration":"2031-05-06T07:08:09Z"}"#,
                "its Token is not 1 to 16384 bytes of printable ASCII without spaces"
            ),
            ("[1, 2]", "the answer is not a JSON object"),
            ("{\"AccessKeyId\": ", "the answer is not a JSON object"),
        ])
    func refused(json: String, reason: String) {
        #expect(
            throws: ECSSourceError.badDocument(
                endpoint: "http://127.0.0.1:9", variable: ECSSettings.fullVariable, reason: reason)
        ) {
            try parse(json)
        }
    }
}

@Suite("ecs source against the loopback emulator", .serialized)
struct ECSSourceTests {
    @Test("fetches the document with Accept: application/json and no Authorization when no token is set")
    func plain() async throws {
        let emulator = try Emulator.start()
        let logs = LogLines()
        let credentials = try #require(try await run(ECSSource(), [ECSSettings.fullVariable: emulator.url], logs: logs))
        #expect(credentials.accessKeyId == Emulator.accessKeyId)
        #expect(credentials.secretAccessKey == Emulator.secretAccessKey)
        #expect(credentials.sessionToken == Emulator.sessionToken)
        #expect(credentials.expiration.map(Timestamp.format) == Emulator.expiration)
        #expect(
            try emulator.requests() == [
                Emulator.Request(method: "GET", path: Emulator.path, authorization: nil, status: 200)
            ])
        #expect(logs.text.contains("ecs: GET 'http://127.0.0.1:\(emulator.port)' (AWS_CONTAINER_CREDENTIALS_FULL_URI)"))
        #expect(!logs.text.contains(Emulator.secretAccessKey) && !logs.text.contains(Emulator.sessionToken))
    }

    @Test("sends the token of the variable, or of the file, read on every fetch")
    func tokens() async throws {
        let emulator = try Emulator.start(token: "token-one")
        let base = [ECSSettings.fullVariable: emulator.url]
        _ = try await run(ECSSource(), base.merging([ECSSettings.tokenVariable: "token-one"]) { $1 })
        let file = TokenFile(Array("token-one".utf8))
        let withFile = base.merging([ECSSettings.tokenFileVariable: file.path, ECSSettings.tokenVariable: "x"]) { $1 }
        let bound = try ECSSource().settings(
            for: step, context: RunContext(environment: withFile, logger: Logger(label: "t")))
        _ = try ECSSource().fetch(bound, context: RunContext(environment: withFile, logger: Logger(label: "t")))
        file.write(Array("token-two".utf8))
        // The same bound settings: the rotated token is read at the next fetch.
        let error = #expect(throws: ECSSourceError.self) {
            try ECSSource().fetch(bound, context: RunContext(environment: withFile, logger: Logger(label: "t")))
        }
        #expect(
            error
                == .refused(
                    endpoint: "http://127.0.0.1:\(emulator.port)", variable: ECSSettings.fullVariable, status: 403))
        #expect(try emulator.requests().map(\.authorization) == ["token-one", "token-one", "token-two"])
    }

    @Test("a missing token is refused with 401, a wrong one with 403, at once: no second attempt, no secret shown")
    func refusedTokens() async throws {
        let emulator = try Emulator.start(token: "right-token")
        let pauses = Pauses()
        let missing = try await failure(pauses.source, [ECSSettings.fullVariable: emulator.url])
        #expect(
            missing
                == .refused(
                    endpoint: "http://127.0.0.1:\(emulator.port)", variable: ECSSettings.fullVariable, status: 401))
        let wrong = try await failure(
            pauses.source, [ECSSettings.fullVariable: emulator.url, ECSSettings.tokenVariable: "WRONG-SECRET-TOKEN"])
        guard case .refused(_, _, 403) = wrong else { Issue.record("got \(wrong)"); return }
        #expect(!wrong.problem.contains("WRONG-SECRET-TOKEN") && !wrong.remedy.contains("WRONG-SECRET-TOKEN"))
        #expect(wrong.isDenial && wrong.category == .credentials)
        #expect(try emulator.requests().count == 2 && pauses.all.isEmpty)
    }

    @Test("500s are tried again 1 s later, three attempts in all as botocore: two failures then success")
    func retriesThenSuccess() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("error-500", count: 2)
        let pauses = Pauses()
        let logs = LogLines()
        let credentials = try await run(pauses.source, [ECSSettings.fullVariable: emulator.url], logs: logs)
        #expect(credentials?.accessKeyId == Emulator.accessKeyId)
        #expect(try emulator.requests().map(\.status) == [500, 500, 200])
        #expect(pauses.all == [.seconds(1), .seconds(1)])
        #expect(logs.text.contains("ecs: attempt 1 of 3 failed"))
    }

    @Test("three 500s fail, naming the status and the attempts")
    func retriesExhausted() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("error-500", count: -1)
        let pauses = Pauses()
        let error = try await failure(pauses.source, [ECSSettings.fullVariable: emulator.url])
        #expect(
            error
                == .unexpectedStatus(
                    endpoint: "http://127.0.0.1:\(emulator.port)", variable: ECSSettings.fullVariable, status: 500,
                    attempts: 3))
        #expect(error.problem.contains("status 500 (3 attempts)"))
        #expect(pauses.all.count == 2 && !error.isDenial)
    }

    @Test("an answer that is not JSON is tried again, as botocore; a document with a bad field is not")
    func badJSON() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("bad-json", count: 1)
        let pauses = Pauses()
        #expect(try await run(pauses.source, [ECSSettings.fullVariable: emulator.url]) != nil)
        try emulator.mode("bad-json", count: -1)
        let error = try await failure(pauses.source, [ECSSettings.fullVariable: emulator.url])
        guard case .badDocument(_, _, "the answer is not a JSON object") = error else {
            Issue.record("got \(error)"); return
        }
        try emulator.mode("missing-field")
        let missing = try await failure(pauses.source, [ECSSettings.fullVariable: emulator.url])
        guard case .badDocument(_, _, "it has no SecretAccessKey") = missing else {
            Issue.record("got \(missing)"); return
        }
        #expect(try emulator.requests().map(\.status) == [200, 200, 200, 200, 200, 200])
        #expect(pauses.all.count == 3)
    }

    @Test("a slow answer times out after 2 s and is tried again")
    func slowThenFast() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("slow", count: 1, delay: 3)
        let pauses = Pauses()
        let started = ContinuousClock.now
        #expect(try await run(pauses.source, [ECSSettings.fullVariable: emulator.url]) != nil)
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(1900) && elapsed < .seconds(4), "\(elapsed)")
        #expect(pauses.all == [.seconds(1)])
    }

    @Test("nothing listening: unreachable after three attempts")
    func unreachable() async throws {
        let pauses = Pauses()
        // A port from the dynamic range that a just-closed emulator held: nothing listens there now.
        let port = try Emulator.start().port
        let error = try await failure(
            pauses.source, [ECSSettings.fullVariable: "http://127.0.0.1:\(port)/v1/credentials"])
        guard case .unreachable(_, _, _, 3) = error else { Issue.record("got \(error)"); return }
        #expect(pauses.all.count == 2)
    }

    @Test("the token file must be a readable regular file without a line break; it is never quoted")
    func tokenFileRules() async throws {
        let emulator = try Emulator.start(token: "SECRET-TOKEN")
        let newline = TokenFile(Array("SECRET-TOKEN\n".utf8))
        let error = try await failure(
            ECSSource(), [ECSSettings.fullVariable: emulator.url, ECSSettings.tokenFileVariable: newline.path])
        #expect(error == .invalidToken(origin: "\(ECSSettings.tokenFileVariable) '\(newline.path)'"))
        #expect(!error.problem.contains("SECRET-TOKEN"))
        let missing = try await failure(
            ECSSource(), [ECSSettings.fullVariable: emulator.url, ECSSettings.tokenFileVariable: "/nonexistent/token"])
        #expect(missing == .invalidTokenFile(path: "/nonexistent/token", reason: "no such file or directory"))
        let directory = try await failure(
            ECSSource(), [ECSSettings.fullVariable: emulator.url, ECSSettings.tokenFileVariable: "/tmp"])
        #expect(directory == .invalidTokenFile(path: "/tmp", reason: "not a regular file"))
        let binary = TokenFile([0xFF, 0xFE])
        let notText = try await failure(
            ECSSource(), [ECSSettings.fullVariable: emulator.url, ECSSettings.tokenFileVariable: binary.path])
        #expect(notText == .invalidTokenFile(path: binary.path, reason: "it is not UTF-8 text"))
        #expect(try emulator.requests().isEmpty, "nothing is sent with a bad token")
    }

    @Test("the cache identity is the URL and where the token comes from, never the token")
    func identity() throws {
        func parts(_ environment: [String: String]) throws -> [String: String]? {
            try ECSSource().cacheIdentity(
                for: step, context: RunContext(environment: environment, logger: Logger(label: "t")))
        }
        let url = "http://127.0.0.1:9/v1/credentials"
        #expect(try parts([ECSSettings.fullVariable: url]) == ["url": url, "authorization": "none"])
        let token = try #require(try parts([ECSSettings.fullVariable: url, ECSSettings.tokenVariable: "SECRET"]))
        #expect(token == ["url": url, "authorization": "AWS_CONTAINER_AUTHORIZATION_TOKEN"])
        #expect(
            try parts([ECSSettings.fullVariable: url, ECSSettings.tokenFileVariable: "/run/t"])?["authorization"]
                == "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE /run/t")
        #expect(
            try parts([ECSSettings.relativeVariable: "/v2/credentials/a"])
                != parts([ECSSettings.relativeVariable: "/v2/credentials/b"]))
        #expect(!ECSSource().readsLocally)
    }
}
