import ElevateCore
import EnvSource
import Logging
import Testing

@Suite("env source cache identity")
struct EnvCacheIdentityTests {
    func identity(_ environment: [String: String]) throws -> [String: String]? {
        try EnvSource().cacheIdentity(
            for: Step(plugin: "env", profile: Profile(name: "p")),
            context: RunContext(environment: environment, logger: Logger(label: "test")))
    }

    @Test("the identity is the environment's key id, never the secret; the source reads locally")
    func keyId() throws {
        let parts = try identity(["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "very-secret"])
        #expect(parts == ["access_key_id": "AKIAENV"])
        #expect(try identity(["AWS_ACCESS_KEY_ID": "AKIAOTHER"]) != parts)
        #expect(try identity([:]) == nil)
        #expect(EnvSource().readsLocally)
    }
}
