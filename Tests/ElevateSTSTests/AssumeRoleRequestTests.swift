import ElevateSTS
import ElevateSigV4
import Testing

@Suite("AssumeRole request parameters")
struct AssumeRoleRequestTests {
    @Test("the minimal request: Action, Version, RoleArn, RoleSessionName")
    func minimal() {
        let request = AssumeRoleRequest(roleArn: "arn:aws:iam::123456789012:role/A", roleSessionName: "s1")
        #expect(
            formURLEncode(request.parameters)
                == "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FA"
                + "&RoleSessionName=s1")
    }

    @Test("every parameter, in botocore's order, with tags and transitive keys numbered from 1")
    func everything() {
        let request = AssumeRoleRequest(
            roleArn: "arn:aws:iam::123456789012:role/path/B",
            roleSessionName: "alice@host",
            durationSeconds: 3600,
            externalId: "ext=id/1",
            serialNumber: "arn:aws:iam::123456789012:mfa/alice",
            tokenCode: "123456",
            sourceIdentity: "alice",
            tags: [SessionTag(key: "Team", value: "infra ops"), SessionTag(key: "Env", value: "prod")],
            transitiveTagKeys: ["Team"]
        )
        #expect(
            request.parameters.map(\.name) == [
                "Action", "Version", "RoleArn", "RoleSessionName", "DurationSeconds",
                "Tags.member.1.Key", "Tags.member.1.Value", "Tags.member.2.Key", "Tags.member.2.Value",
                "TransitiveTagKeys.member.1", "ExternalId", "SerialNumber", "TokenCode", "SourceIdentity",
            ])
        #expect(
            formURLEncode(request.parameters)
                == "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fpath%2FB"
                + "&RoleSessionName=alice%40host&DurationSeconds=3600"
                + "&Tags.member.1.Key=Team&Tags.member.1.Value=infra+ops&Tags.member.2.Key=Env&Tags.member.2.Value=prod"
                + "&TransitiveTagKeys.member.1=Team&ExternalId=ext%3Did%2F1"
                + "&SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Falice&TokenCode=123456&SourceIdentity=alice")
    }

    @Test("the description names the options but never the MFA code")
    func description() {
        let request = AssumeRoleRequest(
            roleArn: "arn:aws:iam::123456789012:role/A", roleSessionName: "s1", durationSeconds: 900,
            externalId: "secret-ish", serialNumber: "arn:aws:iam::123456789012:mfa/u", tokenCode: "987650")
        #expect(
            request.description
                == "role arn:aws:iam::123456789012:role/A, session s1, duration 900s, with external id, "
                + "mfa arn:aws:iam::123456789012:mfa/u")
        #expect(!request.description.contains("987650"))
    }
}
