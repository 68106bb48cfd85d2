import ElevateCore
import Logging
import Testing

@testable import AssumeRoleElevation

@Suite("assume-role cache identity")
struct AssumeRoleCacheIdentityTests {
    let base: [String: String] = [
        "role_arn": "arn:aws:iam::123456789012:role/target",
        "role_session_name": "elevate", "external_id": "ext-1", "duration_seconds": "1800",
        "mfa_serial": "arn:aws:iam::123456789012:mfa/me", "source_identity": "me",
        "session_tags": "Team=ops,Env=prod", "transitive_session_tags": "Team",
    ]

    func identity(_ values: [String: String], _ environment: [String: String] = [:]) throws -> [String: String]? {
        try AssumeRoleElevation().cacheIdentity(
            for: Step(plugin: "assume-role", profile: Profile(name: "p", values: values)),
            context: RunContext(environment: environment, logger: Logger(label: "test")))
    }

    @Test("every hop setting is part of the identity", arguments: [
        ("role_arn", "arn:aws:iam::123456789012:role/other"), ("role_session_name", "other"),
        ("external_id", "ext-2"), ("duration_seconds", "900"), ("mfa_serial", "arn:aws:iam::123456789012:mfa/you"),
        ("source_identity", "you"), ("session_tags", "Team=dev,Env=prod"), ("transitive_session_tags", "Env"),
        ("region", "eu-west-1"), ("endpoint_url", "http://127.0.0.1:5000"),
    ])
    func eachSetting(key: String, value: String) throws {
        let original = try #require(try identity(base))
        var changed = base
        changed[key] = value
        #expect(try #require(try identity(changed)) != original)
    }

    @Test("the region and endpoint from the environment are part of it, resolved as STS would be")
    func environment() throws {
        let original = try #require(try identity(base))
        #expect(original["region"] == "us-east-1" && original["endpoint"] == "https://sts.us-east-1.amazonaws.com/")
        #expect(try identity(base, ["AWS_REGION": "eu-west-1"])?["region"] == "eu-west-1")
        #expect(try identity(base, ["AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9"])?["endpoint"] == "http://127.0.0.1:9/")
        #expect(try identity(base, ["AWS_REGION": "eu-west-1"]) == identity(base.merging(["region": "eu-west-1"]) { $1 }),
                "the same resolved region is the same identity")
    }

    @Test("invalid settings are the hop's configuration error, never a silently uncached plan")
    func invalid() {
        for (values, environment) in [
            (["role_arn": "not-an-arn"], [:]), (base.merging(["duration_seconds": "5"]) { $1 }, [:]),
            (base, ["AWS_REGION": "bad region!"]), (base, ["AWS_MAX_ATTEMPTS": "many"]),
        ] as [([String: String], [String: String])] {
            let error = #expect(throws: AssumeRoleError.self) { try identity(values, environment) }
            #expect(error?.category == .configuration, "\(values) \(environment)")
        }
    }
}
