import ElevateCore
import ElevateSTS
import Foundation
import Testing

@testable import AssumeRoleElevation

@Suite("assume-role elevation")
struct AssumeRoleElevationTests {
    @Test("the hop's credentials are a role session with its ARN and expiration; machine facts pass through")
    func output() async throws {
        let transport = RecordingTransport(body: successBody)
        let plugin = AssumeRoleElevation(transport: transport, retry: .none, system: FakeTerminal(answer: nil).system())
        let step = Step(plugin: "assume-role", profile: profile(["role_session_name": "elevate-b"]))
        let credentials = try await plugin.elevate(instanceRole, step: step, hop: 2, context: context())
        #expect(credentials.accessKeyId == "ASIAHOPTWOEXAMPLE001")
        #expect(credentials.secretAccessKey == "hop2/secret")
        #expect(credentials.sessionToken == "hop2-token")
        #expect(credentials.expiration == Date(timeIntervalSince1970: 1_893_459_600))
        #expect(credentials.principalArn == "arn:aws:sts::123456789012:assumed-role/B/elevate-b")
        #expect(credentials.origin == .role)
        #expect(credentials.machine == instanceRole.machine)
        #expect(plugin.name == "assume-role")

        let sent = try #require(transport.bodies.first)
        #expect(
            parameters(sent) == [
                "Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": "arn:aws:iam::123456789012:role/B",
                "RoleSessionName": "elevate-b", "DurationSeconds": "3600",
            ])
        // Signed with the input's keys, for the machine's region since nothing else names one.
        let authorization = try #require(transport.requests.first?.headers["Authorization"])
        #expect(authorization.contains("Credential=ASIAINSTANCEEXAMPLE1/"))
        #expect(authorization.contains("/eu-central-1/sts/aws4_request"))
        #expect(transport.requests.first?.headers["X-Amz-Security-Token"] == "instance-token")
    }

    @Test("every setting reaches STS")
    func allParameters() async throws {
        let transport = RecordingTransport(body: successBody)
        let plugin = AssumeRoleElevation(transport: transport, retry: .none, system: FakeTerminal(answer: nil).system())
        let step = Step(
            plugin: "assume-role",
            profile: profile([
                "role_session_name": "s-1", "external_id": "partner-7f3a", "duration_seconds": "7200",
                "mfa_serial": "arn:aws:iam::123456789012:mfa/alice", "source_identity": "alice",
                "session_tags": "Team=infra,Env=prod", "transitive_session_tags": "Team",
            ]))
        _ = try await plugin.elevate(userKeys, step: step, hop: 1, context: context(tokenCode: "864209"))
        #expect(
            parameters(try #require(transport.bodies.first)) == [
                "Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": "arn:aws:iam::123456789012:role/B",
                "RoleSessionName": "s-1", "DurationSeconds": "7200", "ExternalId": "partner-7f3a",
                "SerialNumber": "arn:aws:iam::123456789012:mfa/alice", "TokenCode": "864209", "SourceIdentity": "alice",
                "Tags.member.1.Key": "Team", "Tags.member.1.Value": "infra", "Tags.member.2.Key": "Env",
                "Tags.member.2.Value": "prod", "TransitiveTagKeys.member.1": "Team",
            ])
    }

    @Test("a chained hop asks for one hour at most, and says so in --debug")
    func chainedCap() throws {
        let plugin = AssumeRoleElevation(
            transport: RecordingTransport(body: ""), system: FakeTerminal(answer: nil).system())
        let settings = try AssumeRoleSettings(profile: profile(["duration_seconds": "43200"]), hop: 2)
        let recorder = LogRecorder()
        let chained = try plugin.makeRequest(settings, input: instanceRole, hop: 2, context: context(recorder))
        #expect(chained.durationSeconds == 3600)
        #expect(recorder.text.contains("hop 2: duration_seconds 43200 capped to 3600"))

        let quiet = LogRecorder()
        let fromUser = try plugin.makeRequest(settings, input: userKeys, hop: 1, context: context(quiet))
        #expect(fromUser.durationSeconds == 43200)
        #expect(!quiet.text.contains("capped"))

        let unset = try AssumeRoleSettings(profile: profile([:]), hop: 1)
        #expect(try plugin.makeRequest(unset, input: userKeys, hop: 1, context: context()).durationSeconds == 3600)
        #expect(try plugin.makeRequest(unset, input: instanceRole, hop: 1, context: context()).durationSeconds == 3600)
    }

    @Test("the default session name comes from the machine, else from user and host")
    func defaultSessionName() throws {
        let plugin = AssumeRoleElevation(
            transport: RecordingTransport(body: ""), system: FakeTerminal(answer: nil).system(user: "bob", host: "ws 7")
        )
        let settings = try AssumeRoleSettings(profile: profile([:]), hop: 1)
        #expect(
            try plugin.makeRequest(settings, input: instanceRole, hop: 1, context: context()).roleSessionName
                == "aws-elevate-i-0123456789abcdef0")
        #expect(
            try plugin.makeRequest(settings, input: userKeys, hop: 1, context: context()).roleSessionName
                == "bob@ws-7")
    }

    @Test("without --token-code the MFA code is asked for on the terminal, naming the device")
    func mfaPrompt() throws {
        let terminal = FakeTerminal(answer: " 864209\r")
        let plugin = AssumeRoleElevation(transport: RecordingTransport(body: ""), system: terminal.system())
        let settings = try AssumeRoleSettings(
            profile: profile(["mfa_serial": "arn:aws:iam::123456789012:mfa/alice"]), hop: 1)
        let request = try plugin.makeRequest(settings, input: userKeys, hop: 1, context: context())
        #expect(request.tokenCode == "864209")
        #expect(terminal.prompts.withLock { $0 } == ["aws-elevate: MFA code for arn:aws:iam::123456789012:mfa/alice: "])
    }

    @Test("--token-code wins and the terminal is never opened")
    func mfaFromOption() throws {
        let terminal = FakeTerminal(answer: "111111")
        let plugin = AssumeRoleElevation(transport: RecordingTransport(body: ""), system: terminal.system())
        let settings = try AssumeRoleSettings(
            profile: profile(["mfa_serial": "arn:aws:iam::123456789012:mfa/alice"]), hop: 1)
        let request = try plugin.makeRequest(settings, input: userKeys, hop: 1, context: context(tokenCode: "864209"))
        #expect(request.tokenCode == "864209")
        #expect(terminal.prompts.withLock { $0 }.isEmpty)
        // Without mfa_serial the code is not sent.
        let plain = try AssumeRoleSettings(profile: profile([:]), hop: 1)
        #expect(
            try plugin.makeRequest(plain, input: userKeys, hop: 1, context: context(tokenCode: "864209"))
                .tokenCode == nil)
    }

    @Test("with prompting refused (--no-prompt) an MFA hop fails without touching the terminal")
    func mfaPromptRefused() throws {
        let terminal = FakeTerminal(answer: "123456")
        let plugin = AssumeRoleElevation(transport: RecordingTransport(body: ""), system: terminal.system())
        let settings = try AssumeRoleSettings(
            profile: profile(["mfa_serial": "arn:aws:iam::123456789012:mfa/alice"]), hop: 2)
        var refusing = context()
        refusing.mayPrompt = false
        #expect(
            throws: AssumeRoleError.promptRefusedForMFA(
                hop: 2, roleArn: "arn:aws:iam::123456789012:role/B", serial: "arn:aws:iam::123456789012:mfa/alice"
            )
        ) { try plugin.makeRequest(settings, input: userKeys, hop: 2, context: refusing) }
        #expect(terminal.prompts.withLock { $0 }.isEmpty)
        let error = AssumeRoleError.promptRefusedForMFA(hop: 2, roleArn: "r", serial: "s")
        #expect(error.problem.contains("--no-prompt") && error.remedy.contains("elevate --switch"))
        #expect(!error.isDenial)
        // A given code is still used.
        refusing.tokenCode = "864209"
        #expect(try plugin.makeRequest(settings, input: userKeys, hop: 2, context: refusing).tokenCode == "864209")
    }

    @Test("no code and no terminal fails at once, naming --token-code")
    func mfaNoTerminal() throws {
        let plugin = AssumeRoleElevation(
            transport: RecordingTransport(body: ""), system: FakeTerminal(answer: nil).system())
        let settings = try AssumeRoleSettings(
            profile: profile(["mfa_serial": "arn:aws:iam::123456789012:mfa/alice"]), hop: 2)
        #expect(
            throws: AssumeRoleError.noTerminalForMFA(
                hop: 2, roleArn: "arn:aws:iam::123456789012:role/B", serial: "arn:aws:iam::123456789012:mfa/alice"
            )
        ) { try plugin.makeRequest(settings, input: userKeys, hop: 2, context: context()) }
        let error = AssumeRoleError.noTerminalForMFA(hop: 2, roleArn: "arn:aws:iam::123456789012:role/B", serial: "s")
        #expect(error.problem.hasPrefix("hop 2 (arn:aws:iam::123456789012:role/B): mfa_serial 's' needs an MFA code"))
        #expect(error.remedy.contains("--token-code"))
    }

    @Test(
        "an MFA code that is not six digits is refused without being quoted",
        arguments: ["12345", "1234567", "12a456", ""])
    func badCode(code: String) throws {
        let settings = try AssumeRoleSettings(
            profile: profile(["mfa_serial": "arn:aws:iam::123456789012:mfa/alice"]), hop: 1)
        let typed = AssumeRoleElevation(
            transport: RecordingTransport(body: ""), system: FakeTerminal(answer: code).system())
        #expect(
            throws: AssumeRoleError.invalidTokenCode(
                hop: 1, roleArn: "arn:aws:iam::123456789012:role/B", fromOption: false
            )
        ) { try typed.makeRequest(settings, input: userKeys, hop: 1, context: context()) }
        if !code.isEmpty {
            #expect(
                throws: AssumeRoleError.invalidTokenCode(
                    hop: 1, roleArn: "arn:aws:iam::123456789012:role/B", fromOption: true
                )
            ) { try typed.makeRequest(settings, input: userKeys, hop: 1, context: context(tokenCode: code)) }
            let error = AssumeRoleError.invalidTokenCode(hop: 1, roleArn: "r", fromOption: true)
            #expect(!error.problem.contains(code))
        }
    }

    @Test("STS errors name the hop and the role: 'hop 2 (ARN): sts AccessDenied: message'")
    func stsErrors() async throws {
        let transport = RecordingTransport(status: 403, body: errorBody("AccessDenied", "not authorized"))
        let plugin = AssumeRoleElevation(transport: transport, retry: .none, system: FakeTerminal(answer: nil).system())
        let step = Step(plugin: "assume-role", profile: profile(["role_session_name": "s1"]))
        do {
            _ = try await plugin.elevate(userKeys, step: step, hop: 2, context: context())
            Issue.record("AccessDenied was not reported")
        } catch let error as AssumeRoleError {
            #expect(error.problem == "hop 2 (arn:aws:iam::123456789012:role/B): sts AccessDenied: not authorized")
            #expect(error.category == .credentials)
            #expect(error.remedy.contains("trust policy"))
            #expect(error.isDenial, "a cached session does not stand in for a refused hop")
        }
    }

    @Test("a throttled or failing STS is not a denial of the hop, and a missing MFA terminal neither")
    func notDenials() async throws {
        let transport = RecordingTransport(status: 400, body: errorBody("Throttling", "Rate exceeded"))
        let plugin = AssumeRoleElevation(transport: transport, retry: .none, system: FakeTerminal(answer: nil).system())
        let step = Step(plugin: "assume-role", profile: profile(["role_session_name": "s1"]))
        do {
            _ = try await plugin.elevate(userKeys, step: step, hop: 1, context: context())
            Issue.record("Throttling was not reported")
        } catch let error as AssumeRoleError {
            #expect(!error.isDenial)
        }
        #expect(!AssumeRoleError.noTerminalForMFA(hop: 1, roleArn: "r", serial: "s").isDenial)
    }

    @Test("bad STS settings are configuration errors of the hop")
    func stsSettings() async throws {
        let plugin = AssumeRoleElevation(
            transport: RecordingTransport(body: successBody), retry: .none, system: FakeTerminal(answer: nil).system())
        let step = Step(plugin: "assume-role", profile: profile(["role_session_name": "s1", "region": "not a region"]))
        do {
            _ = try await plugin.elevate(userKeys, step: step, hop: 1, context: context(environment: [:]))
            Issue.record("a bad region was accepted")
        } catch let error as AssumeRoleError {
            #expect(error.category == .configuration)
            #expect(
                error.problem == "hop 1 (arn:aws:iam::123456789012:role/B): invalid value 'not a region' for "
                    + "region in profile 'app-chain': expected a region name such as eu-west-1")
        }
    }

    @Test("nothing the plugin logs or reports contains a secret")
    func noSecrets() async throws {
        let recorder = LogRecorder()
        let transport = RecordingTransport(body: successBody)
        let plugin = AssumeRoleElevation(transport: transport, retry: .none, system: FakeTerminal(answer: nil).system())
        let step = Step(
            plugin: "assume-role",
            profile: profile([
                "role_session_name": "s1", "mfa_serial": "arn:aws:iam::123456789012:mfa/alice",
            ]))
        _ = try await plugin.elevate(instanceRole, step: step, hop: 1, context: context(recorder, tokenCode: "864209"))
        #expect(!recorder.text.isEmpty)
        for secret in ["instance/secret", "instance-token", "hop2/secret", "hop2-token", "864209"] {
            #expect(!recorder.text.contains(secret), "\(secret)")
        }

        let echoing = RecordingTransport(
            status: 403, body: errorBody("AccessDenied", "instance/secret instance-token 864209"))
        let failing = AssumeRoleElevation(transport: echoing, retry: .none, system: FakeTerminal(answer: nil).system())
        do {
            _ = try await failing.elevate(instanceRole, step: step, hop: 1, context: context(tokenCode: "864209"))
            Issue.record("expected AccessDenied")
        } catch let error as AssumeRoleError {
            for secret in ["instance/secret", "instance-token", "864209"] {
                #expect(!(error.problem + error.remedy).contains(secret), "\(secret)")
            }
        }
    }
}
