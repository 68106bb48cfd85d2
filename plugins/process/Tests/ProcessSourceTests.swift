import ElevateCore
import Logging
import Testing

@testable import ProcessSource

private let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"

/// A step whose profile runs `command` as its credential_process.
private func step(_ command: String) -> Step {
    Step(plugin: "process", profile: Profile(name: "vault", values: ["credential_process": command]))
}

private func context(_ environment: [String: String] = ["PATH": "/usr/bin:/bin"]) -> RunContext {
    RunContext(environment: environment, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
}

/// A credential_process that runs `script` with /bin/sh.
private func shell(_ script: String) -> String {
    "/bin/sh -c '\(script.replacing("'", with: "'\\''"))'"
}

private func failure(_ command: String, environment: [String: String] = ["PATH": "/usr/bin:/bin"]) async throws
    -> ProcessSourceError
{
    do {
        _ = try await ProcessSource().credentials(for: step(command), context: context(environment))
    } catch let error as ProcessSourceError {
        return error
    }
    Issue.record("no error for \(command)")
    return .unparsable(command: "")
}

@Suite("source plugin process")
struct ProcessSourceTests {
    @Test("a document with a session token and an expiry gives temporary credentials")
    func temporary() async throws {
        let command = shell(#"printf '{"Version": 1, "AccessKeyId": "ASIAPROCESS", "SecretAccessKey": "%s", "SessionToken": "tok", "Expiration": "2030-01-01T00:00:00Z"}' "$1""#)
            + " sh \(secret)"
        let credentials = try #require(try await ProcessSource().credentials(for: step(command), context: context()))
        #expect(credentials.accessKeyId == "ASIAPROCESS")
        #expect(credentials.secretAccessKey == secret)
        #expect(credentials.sessionToken == "tok")
        #expect(credentials.expiration.map(Timestamp.format) == "2030-01-01T00:00:00Z")
        #expect(credentials.origin == .role)
    }

    @Test("long-term keys without a token or an expiry are a user's keys")
    func longTerm() async throws {
        let command = shell(#"echo '{"Version":1,"AccessKeyId":"AKIAPROCESS","SecretAccessKey":"s"}'"#)
        let credentials = try #require(try await ProcessSource().credentials(for: step(command), context: context()))
        #expect(credentials.sessionToken == nil && credentials.expiration == nil)
        #expect(credentials.origin == .user)
    }

    @Test("the program gets the run's environment and is found on its PATH, with no shell in between")
    func environmentAndPath() async throws {
        let command = #"sh -c 'printf "{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"s\"}" "$MARKER"'"#
        let credentials = try #require(
            try await ProcessSource().credentials(
                for: step(command), context: context(["PATH": "/usr/bin:/bin", "MARKER": "AKIA$HOME;`x`"])))
        #expect(credentials.accessKeyId == "AKIA$HOME;`x`")
    }

    @Test("a failing program is reported with its status and the last line of its standard error")
    func failingProgram() async throws {
        let error = try await failure(shell("echo first >&2; echo 'token expired, run vault login' >&2; exit 3"))
        #expect(error == .failed(program: "/bin/sh", ending: "exited with status 3",
                                 stderr: "token expired, run vault login"))
        #expect(error.category == .credentials)
        let silent = try await failure(shell("exit 1"))
        #expect(silent.problem.hasSuffix("exited with status 1 and wrote nothing to standard error"))
    }

    @Test("a program killed by a signal is reported as such")
    func killed() async throws {
        #expect(try await failure(shell("kill -9 $$")) == .failed(
            program: "/bin/sh", ending: "was killed by signal 9", stderr: nil))
    }

    @Test("a program that is not there is a configuration error naming it")
    func missingProgram() async throws {
        let error = try await failure("/nonexistent/vault-helper --profile x")
        #expect(error == .cannotStart(program: "/nonexistent/vault-helper", reason: "no such file or directory"))
        #expect(error.category == .configuration)
        let notOnPath = try await failure("no-such-helper-\(UInt32.random(in: 0...UInt32.max))")
        guard case .cannotStart = notOnPath else { Issue.record("got \(notOnPath)"); return }
    }

    @Test("an unclosed quote is a configuration error")
    func unparsable() async throws {
        #expect(try await failure("/bin/echo 'unclosed") == .unparsable(command: "/bin/echo 'unclosed"))
    }

    @Test(
        "output that is not a version 1 document is refused, and the message never quotes it",
        arguments: [
            ("not json \(secret)", "its output is not a JSON credential document"),
            (#"{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "\#(secret)"}"#, "Version is 2, not 1"),
            (#"{"AccessKeyId": "A", "SecretAccessKey": "\#(secret)"}"#, "the document has no Version"),
            (#"{"Version": "1", "AccessKeyId": "A", "SecretAccessKey": "\#(secret)"}"#,
             "its output is not a JSON credential document"),
            (#"{"Version": 1, "SecretAccessKey": "\#(secret)"}"#, "AccessKeyId is missing or empty"),
            (#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": ""}"#, "SecretAccessKey is missing or empty"),
            (#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "\#(secret)", "Expiration": "soon"}"#,
             "Expiration 'soon' is not an RFC 3339 time"),
            ("", "its output is not a JSON credential document"),
        ])
    func badDocuments(output: String, reason: String) async throws {
        let error = try await failure(shell("printf '%s' \"$0\"") + " '\(output.replacing("'", with: "'\\''"))'")
        #expect(error == .badDocument(program: "/bin/sh", reason: reason))
        #expect(!error.problem.contains(secret))
    }

    @Test("more than 64 KiB of output is refused; a chatty standard error next to it does not block the program")
    func largeOutputs() async throws {
        let flood = try await failure(shell("head -c 100000 /dev/zero | tr '\\\\0' x"))
        #expect(flood == .badDocument(program: "/bin/sh", reason: "it wrote more than 64 KiB"))
        // 1 MB on standard error before the document: both pipes are drained together.
        let command = shell(#"head -c 1000000 /dev/zero >&2; echo '{"Version":1,"AccessKeyId":"AKIAX","SecretAccessKey":"s"}'"#)
        let credentials = try await ProcessSource().credentials(for: step(command), context: context())
        #expect(credentials?.accessKeyId == "AKIAX")
    }

    @Test("the program sees the nesting depth one higher, and nesting beyond the limit is refused before running")
    func nesting() async throws {
        let command = #"sh -c 'printf "{\"Version\":1,\"AccessKeyId\":\"AKIA%s\",\"SecretAccessKey\":\"s\"}" "$AWS_ELEVATE_PROCESS_DEPTH"'"#
        let first = try await ProcessSource().credentials(for: step(command), context: context())
        #expect(first?.accessKeyId == "AKIA1")
        let nested = try await ProcessSource().credentials(
            for: step(command), context: context(["PATH": "/usr/bin:/bin", "AWS_ELEVATE_PROCESS_DEPTH": "2"]))
        #expect(nested?.accessKeyId == "AKIA3")
        let error = try await failure(command, environment: ["PATH": "/usr/bin:/bin", "AWS_ELEVATE_PROCESS_DEPTH": "4"])
        #expect(error == .tooDeep(program: "sh", depth: 4))
        #expect(error.category == .configuration)
    }

    @Test("the cache identity is the command line, and a plan of this source alone is not cached")
    func identity() {
        let source = ProcessSource()
        #expect(source.cacheIdentity(for: step("vault exec dev --json"), context: context())
                == ["credential_process": "vault exec dev --json"])
        #expect(source.readsLocally)
    }

    @Test("a profile without credential_process: the source does not apply")
    func notApplicable() async throws {
        let step = Step(plugin: "process", profile: Profile(name: "p"))
        #expect(try await ProcessSource().credentials(for: step, context: context()) == nil)
    }
}
