import ArgumentParser
import ElevateConfig
import ElevateCore
import Foundation
import Testing

@testable import ElevateCommands

@Suite("shell-init, completion, profiles and env --assignments")
struct ShellCommandsTests {
    @Test("shell-init and completion take bash or zsh and nothing else", arguments: ["shell-init", "completion"])
    func shells(command: String) throws {
        for shell in ["bash", "zsh"] {
            #expect(throws: Never.self) { try AWSElevate.parseAsRoot([command, shell]) }
        }
        for bad in ["fish", "", "BASH", "bash\u{301}"] {
            #expect(throws: (any Error).self) { try AWSElevate.parseAsRoot([command, bad]) }
        }
        #expect(throws: (any Error).self) { try AWSElevate.parseAsRoot([command]) }
        #expect(throws: (any Error).self) { try AWSElevate.parseAsRoot([command, "bash", "zsh"]) }
    }

    @Test("profiles takes --chains only")
    func profilesParsing() throws {
        let plain = try #require(try AWSElevate.parseAsRoot(["profiles"]) as? ProfilesCommand)
        #expect(!plain.chains)
        let chains = try #require(try AWSElevate.parseAsRoot(["profiles", "--chains"]) as? ProfilesCommand)
        #expect(chains.chains)
        #expect(throws: (any Error).self) { try AWSElevate.parseAsRoot(["profiles", "--profile", "x"]) }
    }

    @Test("profiles lists every name once in byte order; --chains only role_arn or source profiles")
    func profilesListing() throws {
        let files = ConfigFiles(configPath: "/c", credentialsPath: "/k")
        let config = try AWSConfig.parse(
            config: """
                [profile b-chain]
                role_arn = arn:aws:iam::123456789012:role/B
                source_profile = a
                [profile \"q'uote $(x)\"]
                credential_source = Environment
                [profile e\u{301}]
                region = eu-west-1
                [profile \u{e9}]
                region = eu-west-1
                [default]
                region = us-east-1
                """,
            credentials: "[a]\naws_access_key_id = AKID\naws_secret_access_key = s\n[b-chain]\nregion = x\n",
            files: files)
        let all = ProfilesCommand.render(config, chains: false)
        #expect(all == "a\nb-chain\ndefault\ne\u{301}\nq'uote $(x)\n\u{e9}\n")
        #expect(Array(all.utf8).filter { $0 == 0x0A }.count == 6)
        #expect(ProfilesCommand.render(config, chains: true) == "b-chain\nq'uote $(x)\n")
    }

    @Test("env takes --no-prompt and the hidden --assignments")
    func envFlags() throws {
        let env = try #require(
            try AWSElevate.parseAsRoot(["env", "--profile", "p", "--no-prompt", "--assignments"]) as? EnvCommand)
        #expect(env.noPrompt && env.assignments)
        let plain = try #require(try AWSElevate.parseAsRoot(["env", "--profile", "p"]) as? EnvCommand)
        #expect(!plain.noPrompt && !plain.assignments)
    }

    @Test("assignments: no command word, staging names, the expiry in seconds, no line for what is missing")
    func assignments() throws {
        let session = Credentials(
            accessKeyId: "ASIA", secretAccessKey: "s'$(x)", sessionToken: "t\nok",
            expiration: Date(timeIntervalSince1970: 1_893_456_000))
        let text = try ShellExport.renderAssignments(session, profile: "q'\u{301}", region: "eu-west-3")
        #expect(
            text == """
                __aws_elevate_new_AWS_ACCESS_KEY_ID='ASIA'
                __aws_elevate_new_AWS_SECRET_ACCESS_KEY='s'\\''$(x)'
                __aws_elevate_new_AWS_SESSION_TOKEN='t
                ok'
                __aws_elevate_new_AWS_CREDENTIAL_EXPIRATION='2030-01-01T00:00:00Z'
                __aws_elevate_new_expires=1893456000
                __aws_elevate_new_AWS_ELEVATE_PROFILE='q'\\''\u{301}'
                __aws_elevate_new_AWS_REGION='eu-west-3'
                __aws_elevate_new_AWS_DEFAULT_REGION='eu-west-3'

                """)
        let keys = try ShellExport.renderAssignments(
            Credentials(accessKeyId: "AKID", secretAccessKey: "s"), profile: "p", region: nil)
        #expect(
            keys == "__aws_elevate_new_AWS_ACCESS_KEY_ID='AKID'\n__aws_elevate_new_AWS_SECRET_ACCESS_KEY='s'\n"
                + "__aws_elevate_new_AWS_ELEVATE_PROFILE='p'\n")
        #expect(throws: CoreError.self) {
            try ShellExport.renderAssignments(
                Credentials(accessKeyId: "A\u{0}", secretAccessKey: "s"), profile: "p", region: nil)
        }
    }
}
