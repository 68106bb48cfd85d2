import ElevateCore
import ProfileSource
import Testing

@Suite("profile source")
struct ProfileSourceTests {
    let source = ProfileSource()

    @Test("reads static keys")
    func staticKeys() throws {
        let profile = Profile(name: "base", values: ["aws_access_key_id": "AKID", "aws_secret_access_key": "s"])
        let credentials = try #require(try source.read(profile))
        #expect(credentials.accessKeyId == "AKID")
        #expect(credentials.secretAccessKey == "s")
        #expect(credentials.sessionToken == nil)
        #expect(credentials.origin == .user)
    }

    @Test("a session token (or the older security token) makes a role session")
    func token() throws {
        let profile = Profile(name: "t", values: [
            "aws_access_key_id": "ASIA", "aws_secret_access_key": "s", "aws_security_token": "old",
        ])
        let credentials = try #require(try source.read(profile))
        #expect(credentials.sessionToken == "old")
        #expect(credentials.origin == .role)
    }

    @Test("a profile without keys does not apply")
    func noKeys() throws {
        #expect(try source.read(Profile(name: "x", values: ["region": "eu-west-1"])) == nil)
    }

    @Test("a missing or empty half names the key", arguments: [
        (["aws_access_key_id": "a"], "aws_secret_access_key"),
        (["aws_secret_access_key": "s"], "aws_access_key_id"),
        (["aws_access_key_id": "", "aws_secret_access_key": "s"], "aws_access_key_id"),
        (["aws_access_key_id": "a", "aws_secret_access_key": ""], "aws_secret_access_key"),
    ])
    func halves(values: [String: String], key: String) {
        #expect(throws: ProfileSourceError.missing(profile: "p", key: key)) {
            try source.read(Profile(name: "p", values: values))
        }
    }

    @Test("errors never echo the secret")
    func noSecretInMessage() {
        let error = ProfileSourceError.missing(profile: "p", key: "aws_access_key_id")
        #expect(!error.problem.contains("s3cr3t") && !error.remedy.contains("s3cr3t"))
        #expect(error.problem == "profile 'p' has no value for 'aws_access_key_id'")
    }
}
