import ElevateCore
import Foundation
import IMDSSource
import Testing

private let rolesPath = "/latest/meta-data/iam/security-credentials/"
private let tokenPath = "/latest/api/token"
private let allowV1 = ["AWS_ELEVATE_IMDS_V1": "allow"]

@Suite("imds source against the loopback IMDS emulator")
struct IMDSSourceTests {
    @Test("IMDSv2 happy path: the instance role's session, instance id and region, a token on every GET")
    func happyPath() async throws {
        let emulator = try Emulator.start()
        let credentials = try #require(try await runSource(emulator))
        #expect(credentials.accessKeyId == Emulator.accessKeyId)
        #expect(credentials.secretAccessKey == Emulator.secretAccessKey)
        #expect(credentials.sessionToken == Emulator.sessionToken)
        #expect(credentials.expiration == Timestamp.parse(Emulator.expiration))
        #expect(credentials.origin == .role)
        #expect(credentials.principalArn == nil)
        #expect(credentials.machine == MachineFacts(instanceId: Emulator.instanceId, region: Emulator.region))

        let requests = try emulator.requests()
        #expect(requests.map(\.method) == ["PUT", "GET", "GET", "GET", "GET"])
        #expect(requests.map(\.path) == [
            tokenPath, rolesPath, rolesPath + Emulator.role,
            "/latest/meta-data/instance-id", "/latest/meta-data/placement/region",
        ])
        #expect(requests.dropFirst().allSatisfy { $0.hadToken }, "\(requests)")
        #expect(requests.allSatisfy { $0.status == 200 }, "\(requests)")
    }

    @Test("debug lines name the endpoint, the token, the role, the masked key and the expiry, and no secret")
    func debugLines() async throws {
        let emulator = try Emulator.start()
        let logs = LogLines()
        _ = try await runSource(emulator, logs: logs)
        let text = logs.text
        #expect(text.contains("'\(emulator.endpoint)'"), "\(text)")
        #expect(text.contains("IMDSv2 token obtained"), "\(text)")
        #expect(text.contains("role '\(Emulator.role)'"), "\(text)")
        #expect(text.contains(maskAccessKeyId(Emulator.accessKeyId)), "\(text)")
        #expect(text.contains(Emulator.expiration), "\(text)")
        let secrets = [Emulator.accessKeyId, Emulator.secretAccessKey, Emulator.sessionToken] + (try emulator.tokens())
        for secret in secrets {
            #expect(!text.contains(secret), "a secret is in the debug lines: \(text)")
        }
    }

    @Test("an IMDSv1-only instance fails without the opt-in, naming IMDSv2, the status and both opt-ins")
    func v1OnlyWithoutOptIn() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("v1-only")
        let error = try await sourceError(emulator)
        #expect(error == .tokenFailed(endpoint: emulator.endpoint, reason: "status 404", v1: .notAllowed))
        #expect(error.category == .credentials)
        #expect(error.problem.contains("IMDSv2"))
        #expect(error.problem.contains("404"))
        #expect(error.remedy.contains("AWS_ELEVATE_IMDS_V1=allow"))
        #expect(error.remedy.contains("elevate_imds_v1 = allow"))
        #expect(try emulator.requests().map(\.method) == ["PUT"], "no request may go out without a token")
    }

    @Test("with AWS_ELEVATE_IMDS_V1=allow an IMDSv1-only instance is read without a token")
    func v1FallbackByEnvironment() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("v1-only")
        let logs = LogLines()
        let credentials = try #require(try await runSource(emulator, environment: allowV1, logs: logs))
        #expect(credentials.accessKeyId == Emulator.accessKeyId)
        #expect(credentials.machine?.region == Emulator.region)
        let requests = try emulator.requests()
        #expect(requests.first?.method == "PUT")
        #expect(requests.count == 5)
        #expect(requests.allSatisfy { !$0.hadToken })
        #expect(logs.text.contains("IMDSv1"), "\(logs.text)")
    }

    @Test("elevate_imds_v1 = allow in the profile opts in as well")
    func v1FallbackByProfile() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("v1-only")
        let credentials = try await runSource(emulator, profile: instanceProfile(["elevate_imds_v1": "allow"]))
        #expect(credentials?.accessKeyId == Emulator.accessKeyId)
    }

    @Test("AWS_ELEVATE_IMDS_V1=deny in the environment overrides the profile's allow")
    func environmentDenyWins() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("v1-only")
        let error = try await sourceError(
            emulator, environment: ["AWS_ELEVATE_IMDS_V1": "deny"],
            profile: instanceProfile(["elevate_imds_v1": "allow"]))
        #expect(error == .tokenFailed(endpoint: emulator.endpoint, reason: "status 404", v1: .notAllowed))
    }

    @Test(
        "IMDSv1 is never used when V1 is disabled, whatever the opt-in says",
        arguments: [
            (["AWS_EC2_METADATA_V1_DISABLED": "true"], [String: String](), "AWS_EC2_METADATA_V1_DISABLED"),
            ([:], ["ec2_metadata_v1_disabled": "true"], "ec2_metadata_v1_disabled in profile 'inst'"),
        ]
    )
    func v1Disabled(environment: [String: String], profileValues: [String: String], name: String) async throws {
        let emulator = try Emulator.start()
        try emulator.mode("v1-only")
        let error = try await sourceError(
            emulator, environment: environment.merging(allowV1) { $1 },
            profile: instanceProfile(profileValues.merging(["elevate_imds_v1": "allow"]) { $1 }))
        #expect(error == .tokenFailed(endpoint: emulator.endpoint, reason: "status 404", v1: .disabled(by: name)))
        #expect(error.remedy.contains(name))
        #expect(try emulator.requests().map(\.method) == ["PUT"])
    }

    @Test("a refused token request (403, 404, 405) is an IMDSv2 failure quoting the status", arguments: [403, 404, 405])
    func tokenRefused(status: Int) async throws {
        let emulator = try Emulator.start()
        try emulator.mode("token-\(status)")
        let error = try await sourceError(emulator)
        #expect(error == .tokenFailed(endpoint: emulator.endpoint, reason: "status \(status)", v1: .notAllowed))
        #expect(error.problem.contains("status \(status)"))
    }

    @Test("after an opted-in fallback, a service that requires tokens gets a clear v1-refused error")
    func v1RefusedAfterFallback() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("token-403")
        let error = try await sourceError(emulator, environment: allowV1)
        #expect(error == .v1Refused(endpoint: emulator.endpoint, tokenFailure: "status 403"))
        #expect(error.problem.contains("IMDSv1"))
    }

    @Test("a 500 on the token request is an IMDSv2 failure; every request is tried NUM_ATTEMPTS times")
    func serverErrorHonoursAttempts() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("error-500")
        let error = try await sourceError(emulator, environment: ["AWS_METADATA_SERVICE_NUM_ATTEMPTS": "3"])
        #expect(error == .tokenFailed(endpoint: emulator.endpoint, reason: "status 500", v1: .notAllowed))
        #expect(try emulator.requests().map(\.method) == ["PUT", "PUT", "PUT"])
    }

    @Test("with the opt-in, a 500 everywhere ends in an unexpected-status error after the attempts of each request")
    func serverErrorWithFallback() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("error-500")
        let error = try await sourceError(
            emulator, environment: allowV1.merging(["AWS_METADATA_SERVICE_NUM_ATTEMPTS": "2"]) { $1 })
        #expect(error == .unexpectedStatus(endpoint: emulator.endpoint, path: rolesPath, status: 500))
        #expect(try emulator.requests().map(\.method) == ["PUT", "PUT", "GET", "GET"])
    }

    @Test("a single attempt by default: a 500 is not retried")
    func oneAttemptByDefault() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("error-500")
        _ = try await sourceError(emulator)
        #expect(try emulator.requests().count == 1)
    }

    @Test("a credentials document that is not JSON is reported without its content")
    func badJSON() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("bad-json")
        let error = try await sourceError(emulator)
        #expect(error == .malformedCredentials(endpoint: emulator.endpoint, role: Emulator.role))
    }

    @Test("a Code other than Success is quoted, with the service's message")
    func codeFail() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("code-fail")
        let error = try await sourceError(emulator)
        #expect(error == .notSuccess(
            endpoint: emulator.endpoint, role: Emulator.role, code: "AssumeRoleUnauthorizedAccess",
            message: "not authorized"))
        #expect(error.problem.contains("'AssumeRoleUnauthorizedAccess'"))
    }

    @Test("an instance without a role says so")
    func noRole() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("no-role")
        let error = try await sourceError(emulator)
        #expect(error == .noRole(endpoint: emulator.endpoint))
        #expect(error.problem.contains("no IAM role"))
    }

    @Test("a missing field is named")
    func missingField() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("missing-field")
        let error = try await sourceError(emulator)
        #expect(error == .missingField(endpoint: emulator.endpoint, role: Emulator.role, field: "SecretAccessKey"))
    }

    @Test("a 401 on a GET fetches a new token once and retries that GET")
    func expiredTokenIsRefreshed() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("expire-tokens", count: 1)
        let credentials = try await runSource(emulator)
        #expect(credentials?.accessKeyId == Emulator.accessKeyId)
        let requests = try emulator.requests()
        #expect(requests.map(\.method) == ["PUT", "GET", "PUT", "GET", "GET", "GET", "GET"], "\(requests)")
        #expect(requests[1].status == 401)
        #expect(requests[3].path == requests[1].path && requests[3].status == 200)
        #expect(try emulator.tokens().count == 2)
    }

    @Test("a fresh token rejected again is an error after exactly one refresh")
    func refreshOnlyOnce() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("expire-tokens", count: 100)
        let error = try await sourceError(emulator)
        #expect(error == .tokenRejected(endpoint: emulator.endpoint, path: rolesPath))
        #expect(try emulator.requests().map(\.method) == ["PUT", "GET", "PUT", "GET"])
    }

    @Test("a silent service times out within a generous bound of the configured timeout")
    func slowTokenTimesOut() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("slow", delay: 20)
        let clock = ContinuousClock()
        let start = clock.now
        let error = try await sourceError(emulator, environment: ["AWS_METADATA_SERVICE_TIMEOUT": "0.3"])
        let elapsed = clock.now - start
        #expect(error == .tokenFailed(endpoint: emulator.endpoint, reason: "no answer within 0.3 s", v1: .notAllowed))
        #expect(elapsed < .seconds(3), "took \(elapsed) with a 0.3 s timeout")
    }

    @Test("timeouts are retried NUM_ATTEMPTS times, and the error says how many")
    func slowHonoursAttempts() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("slow", delay: 20)
        let clock = ContinuousClock()
        let start = clock.now
        let error = try await sourceError(
            emulator, environment: ["AWS_METADATA_SERVICE_TIMEOUT": "0.3", "AWS_METADATA_SERVICE_NUM_ATTEMPTS": "2"])
        let elapsed = clock.now - start
        #expect(error == .tokenFailed(
            endpoint: emulator.endpoint, reason: "no answer within 0.3 s (2 attempts)", v1: .notAllowed))
        #expect(try emulator.requests().map(\.method) == ["PUT", "PUT"])
        #expect(elapsed < .seconds(6), "took \(elapsed) for 2 attempts of 0.3 s")
    }

    @Test("with the opt-in, a silent service ends in a timeout error naming the request")
    func slowWithFallback() async throws {
        let emulator = try Emulator.start()
        try emulator.mode("slow", delay: 20)
        let error = try await sourceError(
            emulator, environment: allowV1.merging(["AWS_METADATA_SERVICE_TIMEOUT": "0.25"]) { $1 })
        #expect(error == .timedOut(endpoint: emulator.endpoint, path: rolesPath, timeout: "0.25 s", attempts: 1))
    }

    @Test("an endpoint with nothing listening: an IMDSv2 failure, or unreachable after an opted-in fallback")
    func unreachable() async throws {
        let endpoint = "http://127.0.0.1:\(try LoopbackHTTP.closedPort())"
        let environment = ["AWS_EC2_METADATA_SERVICE_ENDPOINT": endpoint]
        let strict = try await sourceError(nil, environment: environment)
        guard case .tokenFailed(endpoint, let reason, .notAllowed) = strict else {
            Issue.record("unexpected \(strict)")
            return
        }
        #expect(reason.contains("cannot connect"), "\(reason)")
        let fallback = try await sourceError(nil, environment: environment.merging(allowV1) { $1 })
        guard case .unreachable(endpoint, _) = fallback else {
            Issue.record("unexpected \(fallback)")
            return
        }
        #expect(fallback.problem.contains("cannot reach"))
    }

    @Test("AWS_EC2_METADATA_DISABLED=true is a configuration error and sends nothing")
    func disabled() async throws {
        let emulator = try Emulator.start()
        let error = try await sourceError(emulator, environment: ["AWS_EC2_METADATA_DISABLED": "true"])
        #expect(error == .disabled(by: "AWS_EC2_METADATA_DISABLED"))
        #expect(error.category == .configuration)
        #expect(try emulator.requests().isEmpty)
    }

    @Test("a bad setting is a configuration error before anything is sent")
    func badSettingSendsNothing() async throws {
        let emulator = try Emulator.start()
        let error = try await sourceError(emulator, environment: ["AWS_METADATA_SERVICE_TIMEOUT": "soon"])
        #expect(error.category == .configuration)
        #expect(error.problem.contains("'soon'"))
        #expect(try emulator.requests().isEmpty)
    }

    @Test(
        "no failure message and no debug line contains the secret key, the session token or an IMDSv2 token",
        arguments: ["bad-json", "code-fail", "no-role", "missing-field", "error-500", "token-403", "expire-tokens"]
    )
    func secretsNeverShown(mode: String) async throws {
        let emulator = try Emulator.start()
        // One good run first, so that the service has handed out a token and the secrets have been read.
        _ = try await runSource(emulator)
        try emulator.mode(mode, count: 100)
        let logs = LogLines()
        let error = try await sourceError(emulator, environment: allowV1, logs: logs)
        let tokens = try emulator.tokens()
        #expect(!tokens.isEmpty)
        let everything = shown(error) + "\n" + String(describing: error) + "\n" + logs.text
        for secret in [Emulator.secretAccessKey, Emulator.sessionToken] + tokens {
            #expect(!everything.contains(secret), "a secret is shown in mode \(mode): \(everything)")
        }
    }
}
