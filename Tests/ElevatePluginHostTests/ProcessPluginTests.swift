#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ElevateCore
import Testing

@testable import ElevatePluginHost

private let inputSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
private let inputToken = "IQoJb3JpZ2luX2VjEXAMPLETOKEN"
private let input = Credentials(
    accessKeyId: "ASIAINPUTKEY00001", secretAccessKey: inputSecret, sessionToken: inputToken,
    expiration: Date(timeIntervalSince1970: 4_000_000_000), origin: .role)

/// A plugin executable `aws-elevate-plugin-NAME` running `script` with /bin/sh, in a folder of its own.
private struct Installed {
    let folder = Folder()
    let path: String

    init(_ name: String = "test", script: String) {
        path = folder.write("aws-elevate-plugin-\(name)", "#!/bin/sh\n" + script + "\n")
    }

    var source: ProcessSourcePlugin { ProcessSourcePlugin(name: "test", path: path) }
    var elevation: ProcessElevationPlugin { ProcessElevationPlugin(name: "test", path: path) }
}

private func profile(_ values: [String: String] = [:]) -> Profile {
    Profile(name: "dev", values: ["elevate_source": "test"].merging(values) { $1 })
}

private func step(_ values: [String: String] = [:]) -> Step { Step(plugin: "test", profile: profile(values)) }

private func sourceFailure(
    _ installed: Installed, _ values: [String: String] = [:], environment: [String: String] = ["PATH": "/usr/bin:/bin"]
) async throws -> PluginHostError {
    do {
        _ = try await installed.source.credentials(for: step(values), context: context(environment))
    } catch let error as PluginHostError {
        return error
    }
    Issue.record("the plugin did not fail")
    throw CancellationError()
}

private func origin(_ installed: Installed, _ kind: PluginKind = .source) -> PluginHostError.Origin {
    PluginHostError.Origin(plugin: "test", path: installed.path, kind: kind, profile: "dev")
}

@Suite("Process plugins: protocol and runs")
struct ProcessPluginTests {
    @Test(
        "a source plugin gets protocol 1, its kind, the profile's settings but no static keys, and its answer is read")
    func source() async throws {
        let plugin = Installed(script: "cat >\"$(dirname \"$0\")/request\"; echo '\(answer())'")
        let values = ["vault_path": "secret/dev", "region": "eu-west-1", "aws_secret_access_key": "static-secret"]
        let credentials = try #require(
            try await plugin.source.credentials(for: step(values), context: context()))
        #expect(credentials.accessKeyId == "ASIAPLUGINKEY0001")
        #expect(credentials.secretAccessKey == "plugin-secret")
        #expect(credentials.sessionToken == "plugin-token")
        #expect(credentials.expiration == Date(timeIntervalSince1970: 4_070_908_800))
        let request = try #require(plugin.folder.read("request"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(request.utf8)) as? [String: Any])
        #expect(object["protocol"] as? Int == 1)
        #expect(object["kind"] as? String == "source")
        #expect(object["plugin"] as? String == "test")
        #expect(object["profile"] as? String == "dev")
        #expect(object["region"] as? String == "eu-west-1")
        #expect(object["credentials"] == nil && object["hop"] == nil)
        let settings = try #require(object["settings"] as? [String: String])
        #expect(settings == ["elevate_source": "test", "vault_path": "secret/dev", "region": "eu-west-1"])
        #expect(!request.contains("static-secret"))
    }

    @Test(
        "an elevation gets the input credentials and its hop number on standard input, never in argv or the environment"
    )
    func elevationInputOnStdinOnly() async throws {
        let plugin = Installed(
            script: """
                here="$(dirname "$0")"
                cat >"$here/request"
                printf '%s\\n' "$0" "$@" >"$here/argv"
                env >"$here/environment"
                echo '\(answer(key: "ASIAELEVATED00001"))'
                """)
        let environment = [
            "PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "AKIACALLERKEY0001", "AWS_SECRET_ACCESS_KEY": "caller-secret",
            "AWS_SESSION_TOKEN": "caller-token", "AWS_SECURITY_TOKEN": "caller-token", "AWS_PROFILE": "dev",
        ]
        let hopStep = Step(plugin: "test", profile: Profile(name: "dev", values: ["elevate_plugin": "test"]))
        let result = try await plugin.elevation.elevate(input, step: hopStep, hop: 2, context: context(environment))
        #expect(result.accessKeyId == "ASIAELEVATED00001")
        let request = try #require(plugin.folder.read("request"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(request.utf8)) as? [String: Any])
        #expect(object["kind"] as? String == "elevation")
        #expect(object["hop"] as? Int == 2)
        let given = try #require(object["credentials"] as? [String: String])
        #expect(
            given == [
                "AccessKeyId": "ASIAINPUTKEY00001", "SecretAccessKey": inputSecret, "SessionToken": inputToken,
                "Expiration": "2096-10-02T07:06:40Z",
            ])
        let argv = try #require(plugin.folder.read("argv"))
        let environmentSeen = try #require(plugin.folder.read("environment"))
        #expect(argv == plugin.path + "\n")
        for secret in [
            inputSecret, inputToken, "ASIAINPUTKEY00001", "caller-secret", "caller-token", "AKIACALLERKEY0001",
        ] {
            #expect(!argv.contains(secret) && !environmentSeen.contains(secret), "\(secret) reached argv or env")
        }
        #expect(environmentSeen.contains("AWS_ELEVATE_PROCESS_DEPTH=1"))
        #expect(environmentSeen.contains("AWS_PROFILE=dev"))
    }

    @Test("a non-zero exit is one error naming the plugin, its path, the profile and its last standard error line")
    func nonZeroExit() async throws {
        let plugin = Installed(script: "cat >/dev/null; echo 'starting' >&2; echo 'vault: sealed' >&2; exit 3")
        let error = try await sourceFailure(plugin)
        #expect(error == .failed(origin(plugin), ending: "exited with status 3", stderr: "vault: sealed"))
        #expect(error.category == .credentials)
        #expect(
            error.problem
                == "process plugin 'test' ('\(plugin.path)', the source of profile 'dev') exited with status 3: vault: sealed"
        )
    }

    @Test("an elevation's standard error never shows the input secret")
    func stderrRedacted() async throws {
        let plugin = Installed(script: "sed -n 's/.*\"SecretAccessKey\": *\"\\([^\"]*\\)\".*/leaked \\1/p' >&2; exit 1")
        let hopStep = Step(plugin: "test", profile: Profile(name: "dev", values: ["elevate_plugin": "test"]))
        do {
            _ = try await plugin.elevation.elevate(input, step: hopStep, hop: 1, context: context())
            Issue.record("no failure")
        } catch let error as PluginHostError {
            #expect(error == .failed(origin(plugin, .elevation), ending: "exited with status 1", stderr: "leaked ****"))
            #expect(!(error.problem + error.remedy).contains(inputSecret))
        }
    }

    @Test(
        "an answer that is not the protocol is one error that never quotes it",
        arguments: [
            ("not json at all", "its answer is not a JSON object of the plugin protocol"),
            ("[1, 2]", "its answer is not a JSON object of the plugin protocol"),
            ("{\"credentials\": {}}", "its answer has no \"protocol\" (this aws-elevate speaks protocol 1)"),
            ("{\"protocol\": 2, \"credentials\": {}}", "it answered in protocol 2; this aws-elevate speaks protocol 1"),
            ("{\"protocol\": \"1\"}", "its answer is not a JSON object of the plugin protocol"),
            ("{\"protocol\": 1}", "its answer has no \"credentials\" object"),
            (
                "{\"protocol\": 1, \"credentials\": {\"SecretAccessKey\": \"s3cr3t-value\"}}",
                "AccessKeyId is missing or empty"
            ),
            ("{\"protocol\": 1, \"credentials\": {\"AccessKeyId\": \"AKIAX\"}}", "SecretAccessKey is missing or empty"),
            (
                "{\"protocol\": 1, \"credentials\": {\"AccessKeyId\": \"AKIAX\", \"SecretAccessKey\": \"s3cr3t-value\", \"Expiration\": \"soon\"}}",
                "Expiration 'soon' is not an RFC 3339 time"
            ),
        ])
    func badAnswer(text: String, reason: String) async throws {
        let folder = Folder()
        folder.write("answer", text)
        let plugin = Installed(script: "cat >/dev/null; cat '\(folder.path)/answer'")
        let error = try await sourceFailure(plugin)
        #expect(error == .badAnswer(origin(plugin), reason: reason))
        #expect(!(error.problem + error.remedy).contains("s3cr3t-value"))
    }

    @Test("credentials that break the credential rules are refused, naming the field and not the value")
    func invalidCredentials() async throws {
        let plugin = Installed(script: "cat >/dev/null; echo '\(answer(secret: "with space s3cr3t"))'")
        let error = try await sourceFailure(plugin)
        guard case .invalidCredentials(let where_, let violation) = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(where_ == origin(plugin))
        #expect(violation.field == "SecretAccessKey")
        #expect(!error.problem.contains("s3cr3t"))
    }

    @Test("more than 64 KiB of output is refused")
    func hugeOutput() async throws {
        let plugin = Installed(script: "cat >/dev/null; head -c 200000 /dev/zero | tr '\\0' x")
        let error = try await sourceFailure(plugin)
        #expect(error == .tooMuchOutput(origin(plugin)))
        #expect(error.problem.hasSuffix("wrote more than 64 KiB to standard output"))
    }

    @Test("a plugin that hangs is stopped at elevate_plugin_timeout, with what it started (its process group)")
    func hang() async throws {
        let plugin = Installed(
            script: """
                here="$(dirname "$0")"
                sleep 60 & echo $! >"$here/child"
                echo $$ >"$here/pid"
                wait
                """)
        let start = ContinuousClock.now
        let error = try await sourceFailure(plugin, ["elevate_plugin_timeout": "1"])
        let elapsed = seconds(since: start)
        #expect(elapsed >= 1 && elapsed < 5, "took \(elapsed) s")
        #expect(error == .timedOut(origin(plugin), seconds: 1))
        #expect(error.remedy.contains("raise elevate_plugin_timeout in profile 'dev'"))
        let leader = try #require(plugin.folder.read("pid").flatMap { pid_t(trimmingWhitespace($0)) })
        let child = try #require(plugin.folder.read("child").flatMap { pid_t(trimmingWhitespace($0)) })
        #expect(!exists(leader))
        // The grandchild is killed too; it is reaped by init, which may take a moment.
        var gone = false
        for _ in 0..<50 where !gone {
            gone = !exists(child)
            if !gone { usleep(20_000) }
        }
        #expect(gone, "the plugin's child survived")
    }

    @Test("a request larger than a pipe holds reaches a plugin that reads it slowly, whole")
    func largeRequest() async throws {
        let big = String(repeating: "v", count: 300_000)
        let plugin = Installed(script: "sleep 0.2; cat >\"$(dirname \"$0\")/request\"; echo '\(answer())'")
        _ = try await plugin.source.credentials(for: step(["padding": big]), context: context())
        let request = try #require(plugin.folder.read("request"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(request.utf8)) as? [String: Any])
        #expect((object["settings"] as? [String: String])?["padding"] == big)
    }

    @Test("a plugin that does not read its request still has its answer read")
    func ignoresInput() async throws {
        let big = String(repeating: "v", count: 200_000)
        let plugin = Installed(script: "echo '\(answer())'")
        let credentials = try await plugin.source.credentials(for: step(["padding": big]), context: context())
        #expect(credentials?.accessKeyId == "ASIAPLUGINKEY0001")
    }

    @Test(
        "elevate_plugin_timeout takes whole seconds from 1 to 3600, read before the plugin runs",
        arguments: ["0", "3601", "1.5", "soon"])
    func invalidTimeout(text: String) async throws {
        let plugin = Installed(script: "touch \"$(dirname \"$0\")/ran\"; echo '\(answer())'")
        let error = try #require(throws: PluginHostError.self) {
            try plugin.source.settings(for: step(["elevate_plugin_timeout": text]), context: context())
        }
        #expect(
            error
                == .invalidSetting(
                    key: "elevate_plugin_timeout", profile: "dev", value: text, expected: "whole seconds from 1 to 3600"
                ))
        #expect(error.category == .configuration)
        #expect(plugin.folder.read("ran") == nil)
    }

    @Test("a plugin whose interpreter is missing cannot be started: a configuration error")
    func cannotStart() async throws {
        let folder = Folder()
        let path = folder.write("aws-elevate-plugin-test", "#!/nonexistent/interpreter\n")
        let plugin = ProcessSourcePlugin(name: "test", path: path)
        do {
            _ = try await plugin.credentials(for: step(), context: context())
            Issue.record("no failure")
        } catch let error as PluginHostError {
            guard case .cannotStart = error else { Issue.record("got \(error)"); return }
            #expect(error.category == .configuration)
        }
    }

    @Test("the cache identity is the protocol version, the executable, the region and every setting sent")
    func cacheIdentity() throws {
        let plugin = ProcessSourcePlugin(name: "test", path: "/opt/aws-elevate-plugin-test")
        let profile = Profile(
            name: "dev", values: ["elevate_source": "test", "vault_path": "a", "aws_secret_access_key": "secret"],
            sections: ["tags": ["team": "x"]])
        let parts = try plugin.cacheIdentity(
            for: Step(plugin: "test", profile: profile), context: context(["AWS_REGION": "us-west-2"]))
        #expect(
            parts == [
                "plugin-protocol": "1", "executable": "/opt/aws-elevate-plugin-test", "region": "us-west-2",
                "setting:elevate_source": "test", "setting:vault_path": "a", "section:tags:team": "x",
            ])
    }

    @Test("a hop with role_arn declares it under its own name too, which names the cached session in listings")
    func roleLabel() throws {
        let plugin = ProcessElevationPlugin(name: "test", path: "/opt/aws-elevate-plugin-test")
        let profile = Profile(name: "dev", values: ["elevate_plugin": "test", "role_arn": "arn:aws:iam::1:role/x"])
        let parts = try #require(try plugin.cacheIdentity(for: Step(plugin: "test", profile: profile), context: context()))
        #expect(parts["role_arn"] == "arn:aws:iam::1:role/x" && parts["setting:role_arn"] == "arn:aws:iam::1:role/x")
    }
}
