import ElevateCore
import ElevateHTTP
import ElevateSTS
import Testing

@Suite("retry classification and backoff")
struct RetryPolicyTests {
    @Test(
        "throttling codes, 429 and 5xx are retried",
        arguments: [
            (400, "Throttling"), (400, "ThrottlingException"), (400, "RequestLimitExceeded"), (400, "SlowDown"),
            (429, nil), (500, "InternalFailure"), (500, nil), (502, nil), (503, "ServiceUnavailable"), (504, nil),
        ] as [(Int, String?)])
    func retryable(status: Int, code: String?) {
        #expect(RetryPolicy.isRetryable(status: status, code: code))
    }

    @Test(
        "authentication, authorisation and validation errors are never retried",
        arguments: [
            (403, "AccessDenied"), (400, "ExpiredToken"), (403, "InvalidClientTokenId"), (403, "SignatureDoesNotMatch"),
            (400, "ValidationError"), (400, "MalformedPolicyDocument"), (403, "RegionDisabledException"), (404, nil),
            (400, nil), (301, nil),
        ] as [(Int, String?)])
    func notRetryable(status: Int, code: String?) {
        #expect(!RetryPolicy.isRetryable(status: status, code: code))
    }

    @Test("botocore's max_attempts and retry_mode set the attempts; the environment wins over the profile",
          arguments: [
              ([:], [:], 4), (["AWS_MAX_ATTEMPTS": "1"], [:], 1), ([:], ["max_attempts": "7"], 7),
              (["AWS_MAX_ATTEMPTS": "2"], ["max_attempts": "7"], 2), (["AWS_RETRY_MODE": "standard"], [:], 3),
              ([:], ["retry_mode": "legacy"], 5), ([:], ["retry_mode": "adaptive"], 3),
              (["AWS_RETRY_MODE": "standard"], ["max_attempts": "6"], 6), (["AWS_MAX_ATTEMPTS": ""], [:], 4),
              ([:], ["max_attempts": " 9 "], 9), ([:], ["max_attempts": "20"], 20),
          ] as [([String: String], [String: String], Int)])
    func configuredAttempts(environment: [String: String], values: [String: String], attempts: Int) throws {
        let policy = try RetryPolicy.standard.configured(
            environment: environment, profile: Profile(name: "hop", values: values))
        #expect(policy.maxAttempts == attempts)
    }

    @Test("attempt settings botocore would refuse are configuration errors naming the setting",
          arguments: [
              (["AWS_MAX_ATTEMPTS": "0"], [:], "AWS_MAX_ATTEMPTS"), ([:], ["max_attempts": "three"], "max_attempts"),
              ([:], ["max_attempts": "21"], "max_attempts"), ([:], ["max_attempts": "-1"], "max_attempts"),
              (["AWS_RETRY_MODE": "Standard"], [:], "AWS_RETRY_MODE"), ([:], ["retry_mode": "fast"], "retry_mode"),
          ] as [([String: String], [String: String], String)])
    func invalidAttemptSettings(environment: [String: String], values: [String: String], name: String) throws {
        let error = try #require(throws: STSError.self) {
            try RetryPolicy.standard.configured(environment: environment, profile: Profile(name: "hop", values: values))
        }
        guard case .invalidSetting(let setting, _, _) = error else {
            Issue.record("not an invalid setting: \(error)")
            return
        }
        #expect(setting.hasPrefix(name))
    }

    @Test("network trouble is retried; TLS failures, bad requests and oversized answers are not")
    func transportErrors() {
        #expect(RetryPolicy.isRetryable(HTTPError.connectFailed(host: "h", detail: "refused")))
        #expect(RetryPolicy.isRetryable(HTTPError.timedOut(host: "h", duringConnect: true, detail: "slow")))
        #expect(RetryPolicy.isRetryable(HTTPError.transferFailed(host: "h", code: 52, detail: "empty reply")))
        #expect(RetryPolicy.isRetryable(HTTPError.cannotResolveHost(host: "h", detail: "no such host")))
        #expect(!RetryPolicy.isRetryable(HTTPError.tlsFailed(host: "h", detail: "bad certificate")))
        #expect(!RetryPolicy.isRetryable(HTTPError.invalidRequest(reason: "x")))
        #expect(!RetryPolicy.isRetryable(HTTPError.responseTooLarge(host: "h", limit: 1)))
    }

    @Test("full jitter: a wait between zero and the exponential cap, itself capped at maxDelay")
    func jitterBounds() {
        let highest = RetryPolicy(random: { $0.upperBound })
        #expect(
            (1...6).map { highest.delay(beforeRetry: $0) } == [
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(2), .seconds(2),
            ])
        let lowest = RetryPolicy(random: { $0.lowerBound })
        #expect(lowest.delay(beforeRetry: 3) == .zero)
        let middle = RetryPolicy(random: { ($0.lowerBound + $0.upperBound) / 2 })
        #expect(middle.delay(beforeRetry: 2) == .milliseconds(250))
        let wild = RetryPolicy(random: { _ in 99 })
        #expect(wild.delay(beforeRetry: 1) == .milliseconds(250), "a random number outside the range is clamped")
    }

    @Test("the real jitter stays within its bounds")
    func realJitter() {
        let policy = RetryPolicy()
        for retry in 1...5 {
            let delay = policy.delay(beforeRetry: retry)
            #expect(delay >= .zero && delay <= .seconds(2))
        }
        #expect(policy.maxAttempts == 4)
        #expect(policy.budget == .seconds(10))
        #expect(RetryPolicy(maxAttempts: 0).maxAttempts == 1)
    }
}
