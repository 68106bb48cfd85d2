import ElevateCore
import Foundation
import Testing

@testable import ElevateCommands

@Suite("exec: the child's environment")
struct ChildEnvironmentTests {
    private func entries(_ texts: [String]) -> [[UInt8]] { texts.map { Array($0.utf8) } }

    private let session = Credentials(
        accessKeyId: "ASIAEXAMPLE", secretAccessKey: "s/e+c", sessionToken: "tok",
        expiration: Date(timeIntervalSince1970: 1_893_456_000))

    @Test("keys, expiration and the profile are set; AWS_PROFILE, AWS_DEFAULT_PROFILE and AWS_SECURITY_TOKEN go")
    func keys() throws {
        let inherited = ChildEnvironment(
            inherited: entries([
                "PATH=/bin", "AWS_PROFILE=", "AWS_DEFAULT_PROFILE=elsewhere", "AWS_SECURITY_TOKEN=old",
                "AWS_ACCESS_KEY_ID=AKIAOLD", "AWS_REGION=eu-west-1",
            ]))
        let child = try ChildEnvironment.withKeys(session, profile: "admin", region: nil, inherited: inherited)
        #expect(
            child.entries
                == entries([
                    "PATH=/bin", "AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY=s/e+c",
                    "AWS_SESSION_TOKEN=tok", "AWS_CREDENTIAL_EXPIRATION=2030-01-01T00:00:00Z",
                    "AWS_ELEVATE_PROFILE=admin",
                ]))
    }

    @Test("long-term keys remove an inherited session token and expiration; a region sets both variables")
    func longTermKeys() throws {
        let inherited = ChildEnvironment(
            inherited: entries([
                "AWS_SESSION_TOKEN=stale", "AWS_CREDENTIAL_EXPIRATION=2000-01-01T00:00:00Z", "AWS_REGION=eu-west-1",
            ]))
        let child = try ChildEnvironment.withKeys(
            Credentials(accessKeyId: "AKIA", secretAccessKey: "s"), profile: "p", region: "us-east-2",
            inherited: inherited)
        #expect(
            child.entries
                == entries([
                    "AWS_ACCESS_KEY_ID=AKIA", "AWS_SECRET_ACCESS_KEY=s", "AWS_ELEVATE_PROFILE=p",
                    "AWS_REGION=us-east-2",
                    "AWS_DEFAULT_REGION=us-east-2",
                ]))
    }

    @Test("every entry of a repeated name is removed, and names that only share a prefix stay")
    func repeatedNames() throws {
        let inherited = ChildEnvironment(
            inherited: entries([
                "AWS_PROFILE=a", "AWS_PROFILE=b", "AWS_PROFILES=kept", "AWS_PROFILE", "XAWS_PROFILE=kept",
            ]))
        let child = try ChildEnvironment.withKeys(session, profile: "p", region: nil, inherited: inherited)
        #expect(Array(child.entries.prefix(2)) == entries(["AWS_PROFILES=kept", "XAWS_PROFILE=kept"]))
        #expect(!child.entries.contains { $0.starts(with: Array("AWS_PROFILE=".utf8)) })
    }

    @Test("inherited bytes that are not UTF-8 reach the child unchanged")
    func rawBytes() throws {
        let odd: [UInt8] = Array("ODD=".utf8) + [0xFF, 0xC3, 0x28, 0x27, 0x0A, 0x24, 0x28]
        let inherited = ChildEnvironment(inherited: [odd])
        let child = try ChildEnvironment.withKeys(session, profile: "p", region: nil, inherited: inherited)
        #expect(child.entries.first == odd)
        #expect(child.value(of: "ODD") == Array(odd.dropFirst(4)))
    }

    @Test("hostile values (quotes, $(…), backticks, newlines, combining marks) are carried byte for byte")
    func hostileValues() throws {
        let hostile = "it's $(touch /tmp/canary) `id` \"q\"\nnext\u{301}\u{0}".dropLast().description
        let credentials = Credentials(
            accessKeyId: hostile, secretAccessKey: hostile, sessionToken: hostile,
            expiration: Date(timeIntervalSince1970: 0))
        let child = try ChildEnvironment.withKeys(
            credentials, profile: hostile, region: hostile, inherited: ChildEnvironment(inherited: []))
        for name in [
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ELEVATE_PROFILE",
            "AWS_REGION",
        ] {
            #expect(child.value(of: name) == Array(hostile.utf8))
        }
    }

    @Test("a value with a NUL byte is refused, naming the variable")
    func nul() {
        let credentials = Credentials(accessKeyId: "AKIA", secretAccessKey: "se\u{0}cret")
        #expect(throws: ExecError.notEnvironmentSafe(name: "AWS_SECRET_ACCESS_KEY")) {
            try ChildEnvironment.withKeys(
                credentials, profile: "p", region: nil, inherited: ChildEnvironment(inherited: []))
        }
    }

    @Test("--server: no keys, no profile and nothing that outranks the container provider; the endpoint and token")
    func endpoint() throws {
        let inherited = ChildEnvironment(
            inherited: entries(
                ChildEnvironment.outranksContainer.map { "\($0)=x" } + [
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN=old", "HOME=/h",
                ]
            ))
        let child = try ChildEnvironment.withEndpoint(
            uri: "http://127.0.0.1:4242/p", token: "abc", profile: "admin", region: "eu-west-1", inherited: inherited)
        #expect(
            child.entries
                == entries([
                    "HOME=/h", "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:4242/p",
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN=abc", "AWS_ELEVATE_PROFILE=admin", "AWS_REGION=eu-west-1",
                    "AWS_DEFAULT_REGION=eu-west-1",
                ]))
        for name in [
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
            "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
        ] {
            #expect(ChildEnvironment.outranksContainer.contains(name))
        }
    }

    @Test("withCStrings gives NUL-terminated copies and a NULL end, empty entries included")
    func cStrings() {
        let items: [[UInt8]] = [[], Array("A=1".utf8), [0xFF]]
        withCStrings(items) { pointers in
            #expect(strlen(pointers[0]!) == 0)
            #expect(String(cString: pointers[1]!) == "A=1")
            #expect(UInt8(bitPattern: pointers[2]![0]) == 0xFF && pointers[2]![1] == 0)
            #expect(pointers[3] == nil)
        }
    }
}

@Suite("exec: finding the command")
struct CommandLauncherTests {
    @Test("a name is searched along PATH; the first executable regular file wins")
    func search() {
        let found = CommandLauncher.resolve(Array("sh".utf8), path: Array("/nonexistent::/bin:/usr/bin".utf8))
        #expect((try? found.get()) == Array("/bin/sh".utf8))
    }

    @Test("a missing command is 127 and a file that cannot run is 126, as in the shells")
    func refusals() {
        let missing = CommandLauncher.resolve(Array("no-such-command-here".utf8), path: Array("/bin".utf8))
        #expect(missing == .failure(.init(exitCode: 127, message: "'no-such-command-here': command not found")))
        let directory = CommandLauncher.resolve(Array("/tmp".utf8), path: nil)
        #expect(directory == .failure(.init(exitCode: 126, message: "'/tmp': permission denied")))
        let plainFile = CommandLauncher.resolve(Array("passwd".utf8), path: Array("/etc".utf8))
        #expect(plainFile == .failure(.init(exitCode: 126, message: "'passwd': permission denied")))
        let empty = CommandLauncher.resolve([], path: nil)
        #expect((try? empty.get()) == nil)
    }

    @Test("a control character in the command's name does not split the message")
    func messageOnOneLine() {
        let result = CommandLauncher.resolve(Array("evil\nname".utf8), path: Array("/bin".utf8))
        guard case .failure(let refusal) = result else { Issue.record("found"); return }
        #expect(!refusal.message.contains("\n"))
    }
}
