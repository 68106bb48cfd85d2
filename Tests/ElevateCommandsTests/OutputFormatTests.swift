import ElevateCore
import Foundation
import Testing

@testable import ElevateCommands

@Suite("credential_process document")
struct CredentialDocumentTests {
    @Test("long-term keys give Version, AccessKeyId and SecretAccessKey only")
    func staticKeys() throws {
        let text = CredentialDocument.render(Credentials(accessKeyId: "AKID", secretAccessKey: "s/e+c"))
        #expect(text == "{\"Version\": 1, \"AccessKeyId\": \"AKID\", \"SecretAccessKey\": \"s/e+c\"}\n")
    }

    @Test("a session has SessionToken and Expiration as YYYY-MM-DDTHH:MM:SSZ")
    func session() throws {
        let text = CredentialDocument.render(Credentials(
            accessKeyId: "ASIA", secretAccessKey: "s", sessionToken: "tok",
            expiration: Date(timeIntervalSince1970: 1_893_456_000)
        ))
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["Version"] as? Int == 1)
        #expect(object["SessionToken"] as? String == "tok")
        #expect(object["Expiration"] as? String == "2030-01-01T00:00:00Z")
    }

    @Test("any string survives JSON encoding", arguments: ["quote\"back\\slash", "line\nbreak\ttab\u{1}", "ünï©ødé 🚀", "/slashes/"])
    func escaping(value: String) throws {
        let text = CredentialDocument.render(Credentials(accessKeyId: value, secretAccessKey: value, sessionToken: value))
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["AccessKeyId"] as? String == value)
        #expect(object["SessionToken"] as? String == value)
    }
}

@Suite("shell export text")
struct ShellExportTests {
    @Test("exports keys, unsets a missing token and expiration, adds the region pair when known")
    func lines() throws {
        let text = try ShellExport.render(
            Credentials(accessKeyId: "AKID", secretAccessKey: "sec"),
            profile: "admin", region: "eu-west-1"
        )
        #expect(text == """
            export AWS_ACCESS_KEY_ID='AKID'
            export AWS_SECRET_ACCESS_KEY='sec'
            unset AWS_SESSION_TOKEN
            unset AWS_CREDENTIAL_EXPIRATION
            export AWS_ELEVATE_PROFILE='admin'
            export AWS_REGION='eu-west-1'
            export AWS_DEFAULT_REGION='eu-west-1'

            """)
    }

    @Test("a session exports its token and expiration and no region when none is set")
    func session() throws {
        let text = try ShellExport.render(
            Credentials(accessKeyId: "A", secretAccessKey: "s", sessionToken: "t", expiration: Date(timeIntervalSince1970: 0)),
            profile: "p", region: nil
        )
        #expect(text.contains("export AWS_SESSION_TOKEN='t'\n"))
        #expect(text.contains("export AWS_CREDENTIAL_EXPIRATION='1970-01-01T00:00:00Z'\n"))
        #expect(!text.contains("REGION"))
    }

    @Test("a NUL byte in a value is refused, not written into the text")
    func nulRefused() {
        #expect(throws: CoreError.notShellSafe(name: "AWS_REGION")) {
            try ShellExport.render(
                Credentials(accessKeyId: "A", secretAccessKey: "s"), profile: "p", region: "eu\u{0}west-1")
        }
    }
}

@Suite("built-in plugins")
struct BuiltinPluginsTests {
    @Test("the registry builds with the built-in plugins under stable names")
    func names() {
        let registry = BuiltinPlugins.registry()
        #expect(registry.sources.map(\.name).contains("env"))
        #expect(registry.sources.map(\.name).contains("profile"))
        for plugin in registry.sources {
            #expect(plugin.name.allSatisfy { $0.isLowercase || $0 == "-" || $0.isNumber })
            #expect(!plugin.summary.isEmpty)
        }
    }
}

@Suite("fast path")
struct FastPathTests {
    @Test("takes the forms SDKs use", arguments: [
        (["credential-process", "--profile", "admin"], FastPath.Request(profile: "admin", debug: false)),
        (["credential-process", "--profile=admin"], FastPath.Request(profile: "admin", debug: false)),
        (["credential-process", "--debug", "--profile", "a b"], FastPath.Request(profile: "a b", debug: true)),
        (["credential-process", "--profile", "admin", "--debug"], FastPath.Request(profile: "admin", debug: true)),
    ])
    func accepted(arguments: [String], expected: FastPath.Request) {
        #expect(FastPath.parse(arguments) == expected)
    }

    @Test("leaves everything else to the full parser", arguments: [
        [], ["env", "--profile", "a"], ["credential-process"], ["credential-process", "--profile"],
        ["credential-process", "--profile", ""], ["credential-process", "--profile="],
        ["credential-process", "--profile", "--debug"], ["credential-process", "--profile", "a", "--profile", "b"],
        ["credential-process", "--profile", "a", "--help"], ["credential-process", "--debug", "--debug", "--profile", "a"],
        ["credential-process", "-h"], ["credential-process", "--profile", "a", "extra"],
    ])
    func rejected(arguments: [String]) {
        #expect(FastPath.parse(arguments) == nil)
    }
}
