import ElevateCore
import EnvSource
import Foundation
import Logging
import Testing

@Suite("env source")
struct EnvSourceTests {
    let source = EnvSource()

    @Test("reads a key pair without a token as long-term user keys")
    func keyPair() throws {
        let credentials = try #require(try source.read([
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
        ]))
        #expect(credentials.accessKeyId == "AKIDEXAMPLE")
        #expect(credentials.secretAccessKey == "secret")
        #expect(credentials.sessionToken == nil)
        #expect(credentials.expiration == nil)
        #expect(credentials.origin == .user)
    }

    @Test("a session token and expiration make a role session")
    func temporary() throws {
        let credentials = try #require(try source.read([
            "AWS_ACCESS_KEY_ID": "ASIA", "AWS_SECRET_ACCESS_KEY": "s",
            "AWS_SESSION_TOKEN": "tok", "AWS_CREDENTIAL_EXPIRATION": "2030-01-01T00:00:00Z",
        ]))
        #expect(credentials.sessionToken == "tok")
        #expect(credentials.expiration == Date(timeIntervalSince1970: 1_893_456_000))
        #expect(credentials.origin == .role)
    }

    @Test("the older AWS_SECURITY_TOKEN is read when AWS_SESSION_TOKEN is absent")
    func securityToken() throws {
        let credentials = try source.read([
            "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SECURITY_TOKEN": "old",
        ])
        #expect(credentials?.sessionToken == "old")
    }

    @Test("nothing set means the source does not apply")
    func absent() throws {
        #expect(try source.read(["HOME": "/root"]) == nil)
    }

    @Test("a missing half names the missing variable")
    func halves() {
        #expect(throws: EnvSourceError.missing("AWS_SECRET_ACCESS_KEY", other: "AWS_ACCESS_KEY_ID")) {
            try source.read(["AWS_ACCESS_KEY_ID": "a"])
        }
        #expect(throws: EnvSourceError.missing("AWS_ACCESS_KEY_ID", other: "AWS_SECRET_ACCESS_KEY")) {
            try source.read(["AWS_SECRET_ACCESS_KEY": "s"])
        }
    }

    @Test("empty values are errors, not silently ignored")
    func empty() {
        #expect(throws: EnvSourceError.empty("AWS_ACCESS_KEY_ID")) {
            try source.read(["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "s"])
        }
        #expect(throws: EnvSourceError.empty("AWS_SECRET_ACCESS_KEY")) {
            try source.read(["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": ""])
        }
    }

    @Test("a bad expiration is quoted in the error, on one line")
    func badExpiration() {
        let error = EnvSourceError.badExpiration("soon\nish")
        #expect(throws: EnvSourceError.badExpiration("soon\nish")) {
            try source.read(["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s", "AWS_CREDENTIAL_EXPIRATION": "soon\nish"])
        }
        #expect(error.problem == "AWS_CREDENTIAL_EXPIRATION 'soon?ish' is not an RFC 3339 time")
    }

    @Test("a profile asking for the environment's keys when none are set gets an error naming them")
    func notSetForProfile() async {
        let context = RunContext(environment: ["HOME": "/root"], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        await #expect(throws: EnvSourceError.notSet) {
            try await source.credentials(for: Step(plugin: "env", profile: Profile(name: "p")), context: context)
        }
        #expect(EnvSourceError.notSet.problem.contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"))
    }

    @Test("regression: an empty secret's advice is to set it, not to export it 'as well'")
    func emptyAdvice() {
        #expect(EnvSourceError.empty("AWS_SECRET_ACCESS_KEY").remedy == "set AWS_SECRET_ACCESS_KEY to the key, or unset both key variables")
    }
}
