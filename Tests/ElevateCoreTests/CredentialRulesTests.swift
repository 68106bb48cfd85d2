import ElevateCore
import Foundation
import Logging
import Testing

@Suite("credential rules")
struct CredentialRulesTests {
    static let good = Credentials(
        accessKeyId: "ASIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        sessionToken: "IQoJb3JpZ2luX2VjEB8aCXVzLWVhc3QtMSJHMEUCIQ==", expiration: Date(timeIntervalSince1970: 1_900_000_000),
        principalArn: "arn:aws:sts::123456789012:assumed-role/admin/session", origin: .role,
        machine: MachineFacts(instanceId: "i-0123456789abcdef0", region: "eu-west-1"))

    @Test("AWS-shaped credentials and an emulator's 'test' keys pass")
    func accepted() {
        #expect(CredentialRules.violation(in: Self.good) == nil)
        #expect(CredentialRules.violation(in: Credentials(accessKeyId: "test", secretAccessKey: "test")) == nil)
        var longKey = Self.good
        longKey.accessKeyId = String(repeating: "A", count: 128)
        #expect(CredentialRules.violation(in: longKey) == nil)
    }

    @Test("key ids outside 1-128 ASCII letters and digits are refused", arguments: [
        "", String(repeating: "A", count: 129), "AKID X", "AKID'", "AKIDÉ", "AKID\u{301}", "AKID\n", "AKID-1", "AK\u{0}",
    ])
    func badKeyId(value: String) {
        var credentials = Self.good
        credentials.accessKeyId = value
        #expect(CredentialRules.violation(in: credentials)?.field == "AccessKeyId")
    }

    @Test("secrets and tokens outside printable ASCII without spaces are refused", arguments: [
        "", "with space", "x'\u{301}; touch /tmp/pwned; #", "tab\there", "line\nbreak", "nul\u{0}", "del\u{7F}",
        "\u{2028}", "é", "\u{1B}[31m",
    ])
    func badSecretOrToken(value: String) {
        var secret = Self.good
        secret.secretAccessKey = value
        #expect(CredentialRules.violation(in: secret)?.field == "SecretAccessKey")
        var token = Self.good
        token.sessionToken = value
        #expect(CredentialRules.violation(in: token)?.field == "SessionToken")
    }

    @Test("every printable ASCII character but space is allowed in a secret")
    func printable() {
        var credentials = Self.good
        credentials.secretAccessKey = String(decoding: Array(0x21...0x7E as ClosedRange<UInt8>), as: UTF8.self)
        #expect(CredentialRules.violation(in: credentials) == nil)
    }

    @Test("very long secrets and tokens are refused")
    func tooLong() {
        var credentials = Self.good
        credentials.sessionToken = String(repeating: "a", count: 16385)
        #expect(CredentialRules.violation(in: credentials)?.field == "SessionToken")
        credentials.sessionToken = String(repeating: "a", count: 16384)
        #expect(CredentialRules.violation(in: credentials) == nil)
    }

    @Test("expirations outside the years 1970-9999 are refused", arguments: [-1.0, 253_402_300_800, .infinity, .nan])
    func badExpiration(seconds: Double) {
        var credentials = Self.good
        credentials.expiration = Date(timeIntervalSince1970: seconds)
        #expect(CredentialRules.violation(in: credentials)?.field == "Expiration")
    }

    @Test("ARNs, instance ids and regions are checked too")
    func facts() {
        var arn = Self.good
        arn.principalArn = "arn:aws:sts::1:assumed-role/a/b'$(id)"
        #expect(CredentialRules.violation(in: arn) == nil)  // printable ASCII: quoted wherever it is shown
        arn.principalArn = "arn:aws:sts::1:assumed-role/a/b'\u{301}"
        #expect(CredentialRules.violation(in: arn)?.field == "Arn")
        arn.principalArn = "arn:aws:sts::1:assumed-role/a/b c"
        #expect(CredentialRules.violation(in: arn)?.field == "Arn")
        arn.principalArn = "not-an-arn"
        #expect(CredentialRules.violation(in: arn)?.field == "Arn")
        var instance = Self.good
        instance.machine?.instanceId = "i-0123'"
        #expect(CredentialRules.violation(in: instance)?.field == "instance-id")
        var region = Self.good
        region.machine?.region = "eu-west-1; id"
        #expect(CredentialRules.violation(in: region)?.field == "region")
    }

    @Test("the chain refuses a source's bad credentials, naming the source and not the value")
    func chainRefusesSource() async throws {
        struct Hostile: SourcePlugin {
            let name = "hostile"
            let summary = "gives a bad secret"
            func credentials(for step: Step, settings: Void, context: RunContext) async throws -> Credentials? {
                Credentials(accessKeyId: "AKID", secretAccessKey: "x'\u{301}; touch /tmp/pwned; #")
            }
        }
        let plan = Plan(profile: "inj", source: SourceStep(plugin: Hostile(), profile: Profile(name: "inj")))
        let context = RunContext(environment: [:], logger: Logger(label: "test"))
        do {
            _ = try await ChainRunner().run(try plan.bind(context: context), context: context)
            Issue.record("the bad credentials were accepted")
        } catch let error as CoreError {
            guard case .invalidCredentials(let origin, let profile, let violation) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(origin == "source 'hostile'")
            #expect(profile == "inj")
            #expect(violation.field == "SecretAccessKey")
            #expect(!error.problem.contains("pwned") && !error.remedy.contains("pwned"))
        }
    }
}
