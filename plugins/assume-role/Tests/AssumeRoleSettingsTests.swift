import ElevateCore
import ElevateSTS
import Testing

@testable import AssumeRoleElevation

@Suite("assume-role settings")
struct AssumeRoleSettingsTests {
    @Test("every setting is read with botocore's and aws-vault's names")
    func everything() throws {
        let settings = try AssumeRoleSettings(
            profile: profile([
                "role_session_name": "alice@laptop", "external_id": "partner-7f3a", "duration_seconds": "7200",
                "mfa_serial": "arn:aws:iam::123456789012:mfa/alice", "source_identity": "alice",
                "session_tags": "Team = infra , Env=prod=blue, Empty=", "transitive_session_tags": "Team, Env",
            ]), hop: 1)
        #expect(settings.roleArn == "arn:aws:iam::123456789012:role/B")
        #expect(settings.roleSessionName == "alice@laptop")
        #expect(settings.externalId == "partner-7f3a")
        #expect(settings.durationSeconds == 7200)
        #expect(settings.mfaSerial == "arn:aws:iam::123456789012:mfa/alice")
        #expect(settings.sourceIdentity == "alice")
        #expect(
            settings.sessionTags == [
                SessionTag(key: "Team", value: "infra"), SessionTag(key: "Env", value: "prod=blue"),
                SessionTag(key: "Empty", value: ""),
            ])
        #expect(settings.transitiveTagKeys == ["Team", "Env"])
    }

    @Test("empty optional values count as unset")
    func emptyIsUnset() throws {
        let settings = try AssumeRoleSettings(
            profile: profile([
                "role_session_name": "", "external_id": "", "duration_seconds": "", "mfa_serial": "",
                "session_tags": "", "transitive_session_tags": "", "source_identity": "",
            ]), hop: 1)
        let bare = try AssumeRoleSettings(profile: profile([:]), hop: 1)
        #expect(settings == bare)
        #expect(bare.roleSessionName == nil && bare.externalId == nil && bare.durationSeconds == nil)
        #expect(bare.mfaSerial == nil && bare.sourceIdentity == nil)
        #expect(bare.sessionTags.isEmpty && bare.transitiveTagKeys.isEmpty)
    }

    @Test(
        "role ARNs of every partition and with paths are accepted",
        arguments: [
            "arn:aws:iam::123456789012:role/B", "arn:aws:iam::123456789012:role/path/to/Deploy+Role=1,x.y@z-w_v",
            "arn:aws-cn:iam::123456789012:role/B", "arn:aws-us-gov:iam::123456789012:role/B",
        ])
    func goodArns(arn: String) {
        #expect(AssumeRoleSettings.isRoleArn(arn))
    }

    @Test(
        "anything else is not a role ARN",
        arguments: [
            "", "B", "arn:aws:iam::12345:role/B", "arn:aws:iam::123456789012:user/B", "arn:aws:iam::123456789012:role/",
            "arn:aws:sts::123456789012:role/B", "arn:aws:iam:us-east-1:123456789012:role/B",
            "arn:AWS:iam::123456789012:role/B",
            "arn:aws:iam::123456789012:role/B C", "arn:aws:iam::1234567890123:role/B",
            "arn:aws:iam::123456789012:role/a/",
            "arn:gcp:iam::123456789012:role/B", "arn:aws:iam::123456789012:role/B\n",
        ])
    func badArns(arn: String) {
        #expect(!AssumeRoleSettings.isRoleArn(arn))
    }

    @Test(
        "invalid values are configuration errors naming hop, profile and key and quoting the value",
        arguments: [
            ("role_arn", "arn:aws:iam::1:role/B"), ("role_session_name", "a"), ("role_session_name", "has space"),
            ("role_session_name", String(repeating: "n", count: 65)), ("external_id", "x"),
            ("external_id", "no spaces"),
            ("duration_seconds", "899"), ("duration_seconds", "43201"), ("duration_seconds", "1h"),
            ("duration_seconds", "+3600"), ("duration_seconds", "3600.0"), ("mfa_serial", "short"),
            ("mfa_serial", "arn:aws:iam::123456789012:mfa/has space"), ("source_identity", "aws:me"),
            ("source_identity", "x"), ("session_tags", "Team"), ("session_tags", "=v"), ("session_tags", "a=b,"),
            ("session_tags", "a=b,,c=d"), ("session_tags", "Team=a,team=b"), ("session_tags", "Team=a#b"),
            ("transitive_session_tags", "Team,"), ("transitive_session_tags", "Te!am"),
        ])
    func invalid(key: String, value: String) {
        do {
            _ = try AssumeRoleSettings(profile: profile([key: value]), hop: 3)
            Issue.record("\(key) = \(value) was accepted")
        } catch {
            #expect(error.category == .configuration)
            guard case .invalidSetting(let hop, let profile, let named, let quoted, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(hop == 3 && profile == "app-chain" && named == key && quoted == value)
            #expect(error.problem.hasPrefix("hop 3 (profile 'app-chain'): invalid value '"))
            #expect(error.problem.contains(" for \(key): expected "))
        }
    }

    @Test("the duration bounds 900 and 43200 are inclusive")
    func durationBounds() throws {
        #expect(try AssumeRoleSettings(profile: profile(["duration_seconds": "900"]), hop: 1).durationSeconds == 900)
        #expect(
            try AssumeRoleSettings(profile: profile(["duration_seconds": "43200"]), hop: 1).durationSeconds
                == 43200)
    }

    @Test("tags: Unicode letters and numbers, spaces and _.:/=+-@ are allowed; at most 50")
    func tags() {
        #expect(
            AssumeRoleSettings.parseTags("Équipe=Données 2, cost:center=a/b+c@d_e.f-g")
                == [
                    SessionTag(key: "Équipe", value: "Données 2"),
                    SessionTag(key: "cost:center", value: "a/b+c@d_e.f-g"),
                ])
        let fifty = (1...50).map { "k\($0)=v" }.joined(separator: ",")
        #expect(AssumeRoleSettings.parseTags(fifty)?.count == 50)
        #expect(AssumeRoleSettings.parseTags(fifty + ",k51=v") == nil)
        #expect(AssumeRoleSettings.parseTags(String(repeating: "k", count: 129) + "=v") == nil)
        #expect(AssumeRoleSettings.parseTags("k=" + String(repeating: "v", count: 257)) == nil)
        #expect(AssumeRoleSettings.parseKeys(" a , b ") == ["a", "b"])
    }
}
