#if canImport(Glibc)
import Glibc
#endif
import ElevateChildProcess
import ElevateCore
import Logging
import Testing

@testable import ProcessSource

private let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"

/// A step whose profile runs `command` as its credential_process, with `settings` next to it.
private func step(_ command: String, _ settings: [String: String] = [:]) -> Step {
    let values = settings.merging(["credential_process": command]) { $1 }
    return Step(plugin: "process", profile: Profile(name: "vault", values: values))
}

private func context(_ environment: [String: String] = ["PATH": "/usr/bin:/bin"]) -> RunContext {
    RunContext(environment: environment, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
}

/// A credential_process that runs `script` with /bin/sh.
private func shell(_ script: String) -> String {
    "/bin/sh -c '\(script.replacing("'", with: "'\\''"))'"
}

private func failure(
    _ command: String, _ settings: [String: String] = [:], environment: [String: String] = ["PATH": "/usr/bin:/bin"]
) async throws -> ProcessSourceError {
    do {
        _ = try await ProcessSource().credentials(for: step(command, settings), context: context(environment))
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

    @Test("regression: an Expiration that is not a time is quoted cut short, however long the program made it")
    func longExpiration() {
        // It was quoted whole: 40 KB of one stderr line.
        let text = "2031-05-06T07:08:09Z" + String(repeating: "\u{301}", count: 20_000)
        let output = #"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "s", "Expiration": "\#(text)"}"#
        let shown = "2031-05-06T07:08:09Z" + String(repeating: "\u{301}", count: 97) + "..."
        let reason = "Expiration '\(shown)' is not an RFC 3339 time"
        #expect(throws: ProcessSourceError.badDocument(program: "p", reason: reason)) {
            try ProcessDocument.credentials(from: Array(output.utf8), program: "p")
        }
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
    func identity() throws {
        let source = ProcessSource()
        #expect(try source.cacheIdentity(for: step("vault exec dev --json"), context: context())
                == ["credential_process": "vault exec dev --json"])
        #expect(source.readsLocally)
    }

    @Test("a profile without credential_process: the source does not apply")
    func notApplicable() async throws {
        let step = Step(plugin: "process", profile: Profile(name: "p"))
        #expect(try await ProcessSource().credentials(for: step, context: context()) == nil)
    }
}

/// A fresh path under /tmp for a program to write a process id to; removed, with what it names stopped, by `stop`.
private func pidFile() -> String {
    "/tmp/elevate-process-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).pid"
}

/// The process id written to `path`, if any.
private func pid(in path: String) -> pid_t? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes = [UInt8](repeating: 0, count: 32)
    let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    guard count > 0 else { return nil }
    return pid_t(trimmingWhitespace(String(decoding: bytes[..<count], as: UTF8.self)))
}

/// Stops what `path` names (a background process a test started) and removes the file.
private func stop(_ path: String) {
    if let found = pid(in: path), found > 1 { kill(found, SIGKILL) }
    unlink(path)
}

/// Whether a process with this id exists (a zombie included).
private func exists(_ pid: pid_t) -> Bool {
    kill(pid, 0) == 0 || errno != ESRCH
}

private func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

private let document = #"{"Version":1,"AccessKeyId":"AKIAGRANDCHILD","SecretAccessKey":"s"}"#

@Suite("source plugin process: bounded runs")
struct ProcessSourceLimitTests {
    @Test("regression: a program that exits while a background process it started keeps stdout open returns at once")
    func grandchildHoldsStdout() async throws {
        let file = pidFile()
        defer { stop(file) }
        // The subshell's sleep inherits standard output and error and outlives the program by 20 s.
        let command = shell("(sleep 20 & echo $! >'\(file)'); printf '%s' '\(document)'")
        let start = ContinuousClock.now
        let credentials = try await ProcessSource().credentials(for: step(command), context: context())
        #expect(seconds(since: start) < 4, "the run waited for the background process")
        #expect(credentials?.accessKeyId == "AKIAGRANDCHILD")
        let grandchild = try #require(pid(in: file))
        #expect(exists(grandchild), "a process the program started is not ours to stop")
    }

    @Test("without a pidfd, the exit is noticed and the output read while a background process holds stdout")
    func grandchildWithoutPidfd() throws {
        let file = pidFile()
        defer { stop(file) }
        let script = "echo started >&2; (sleep 20 & echo $! >'\(file)'); printf '%s' '\(document)'"
        let arguments = ["/bin/sh", "-c", script]
        let start = ContinuousClock.now
        let output = try ChildProcess.run(
            arguments, environment: ["PATH": "/usr/bin:/bin"], stdoutLimit: 1024,
            limits: ChildProcess.Limits(timeout: .seconds(30), usePidfd: false))
        #expect(seconds(since: start) < 4)
        #expect(output.ending == .exited(0))
        #expect(output.stdout == Array(document.utf8))
        #expect(output.stderr == Array("started\n".utf8))
    }

    @Test("a program that runs past elevate_process_timeout is stopped and reported with its profile and the limit")
    func timeout() async throws {
        let file = pidFile()
        defer { stop(file) }
        let start = ContinuousClock.now
        let error = try await failure(
            shell("echo $$ >'\(file)'; exec sleep 30") + " secret-argument", ["elevate_process_timeout": "1"])
        let elapsed = seconds(since: start)
        #expect(elapsed >= 1 && elapsed < 4, "took \(elapsed) s")
        #expect(error == .timedOut(program: "/bin/sh", profile: "vault", seconds: 1))
        #expect(error.category == .credentials)
        #expect(
            error.problem
                == "credential_process program '/bin/sh' of profile 'vault' did not finish within 1 s and was stopped")
        #expect(error.remedy.contains("raise elevate_process_timeout in profile 'vault'"))
        #expect(!(error.problem + error.remedy).contains("secret-argument"))
        let program = try #require(pid(in: file))
        #expect(!exists(program), "the program was killed and reaped")
    }

    @Test("a program that ignores SIGTERM is killed after the grace time")
    func ignoresTerm() throws {
        let file = pidFile()
        defer { stop(file) }
        let start = ContinuousClock.now
        #expect(throws: ChildProcess.Failure.timedOut) {
            _ = try ChildProcess.run(
                ["/bin/sh", "-c", "trap '' TERM; echo $$ >'\(file)'; while :; do sleep 1; done"],
                environment: ["PATH": "/usr/bin:/bin"], stdoutLimit: 1024,
                limits: ChildProcess.Limits(timeout: .milliseconds(500), grace: .milliseconds(500)))
        }
        let elapsed = seconds(since: start)
        #expect(elapsed >= 1 && elapsed < 4, "took \(elapsed) s")
        let program = try #require(pid(in: file))
        #expect(!exists(program))
    }

    @Test("a program that closes its output and keeps running is still stopped at the limit", arguments: [true, false])
    func closedOutputStillBounded(usePidfd: Bool) throws {
        let start = ContinuousClock.now
        #expect(throws: ChildProcess.Failure.timedOut) {
            _ = try ChildProcess.run(
                ["/bin/sh", "-c", "exec >&- 2>&-; exec sleep 30"], environment: ["PATH": "/usr/bin:/bin"],
                stdoutLimit: 1024, limits: ChildProcess.Limits(timeout: .seconds(1), usePidfd: usePidfd))
        }
        #expect(seconds(since: start) < 4)
    }

    @Test("elevate_process_timeout is 300 s by default and takes whole seconds from 1 to 3600, as a plain value")
    func validTimeouts() throws {
        #expect(try ProcessSource.timeoutSeconds(in: Profile(name: "p")) == 300)
        let cases = [("1", 1), ("3600", 3600), (" 42 ", 42), ("0600", 600), ("", 300)]
        for (text, seconds) in cases {
            let profile = Profile(name: "p", values: ["elevate_process_timeout": text])
            #expect(try ProcessSource.timeoutSeconds(in: profile) == seconds, "\(text)")
        }
        let nested = Profile(name: "p", sections: ["elevate_process_timeout": ["sub": "1"]])
        #expect(throws: ProcessSourceError.invalidSetting(
            name: "elevate_process_timeout in profile 'p'", value: "", expected: "a plain value, not a sub-section")
        ) { try ProcessSource.timeoutSeconds(in: nested) }
    }

    @Test(
        "a bad elevate_process_timeout is a configuration error quoting it, found before the program runs",
        arguments: ["0", "-5", "+5", "1.5", "3601", "99999999999999999999", "1e3", "five", "٣", "300s"])
    func invalidTimeouts(text: String) async throws {
        let file = pidFile()
        defer { stop(file) }
        let command = shell("echo $$ >'\(file)'; echo '\(document)'")
        let error = try await failure(command, ["elevate_process_timeout": text])
        let expected = ProcessSourceError.invalidSetting(
            name: "elevate_process_timeout in profile 'vault'", value: text, expected: "whole seconds from 1 to 3600")
        #expect(error == expected)
        #expect(error.category == .configuration)
        #expect(error.problem.contains("'\(text)'"))
        #expect(pid(in: file) == nil, "the program ran")
    }
}
