import ElevateCore
import Logging
import ProfileSource
import Testing

@Suite("profile source cache identity")
struct ProfileCacheIdentityTests {
    func identity(_ values: [String: String]) throws -> [String: String]? {
        try ProfileSource().cacheIdentity(
            for: Step(plugin: "profile", profile: Profile(name: "base", values: values)),
            context: RunContext(environment: [:], logger: Logger(label: "test")))
    }

    @Test("the identity is the profile's key id, never the secret; the source reads locally")
    func keyId() throws {
        let parts = try identity(["aws_access_key_id": "AKIABASE", "aws_secret_access_key": "very-secret"])
        #expect(parts == ["access_key_id": "AKIABASE"])
        #expect(try identity(["aws_access_key_id": "AKIAOTHER"]) != parts)
        #expect(try identity([:]) == nil)
        #expect(ProfileSource().readsLocally)
    }
}
