import ElevateCore
import ElevateHTTP

/// When and how long to wait before sending a failed STS request again.
///
/// Only throttling error codes, 5xx statuses and transient network failures are retried, never an authentication or
/// authorisation error. Waits use "full jitter": a random time between zero and `min(maxDelay, baseDelay · 2ⁿ⁻¹)`
/// before retry n. A retry is started only while the time since the first attempt, plus the wait, stays within
/// `budget`; so with the defaults (4 attempts, 10 s budget) a request takes at most about 10 s plus one attempt's
/// timeout. ``configured(environment:profile:)`` applies botocore's `max_attempts` and `retry_mode`.
public struct RetryPolicy: Sendable {
    /// The most attempts, the first included; at least 1.
    public var maxAttempts: Int
    /// The cap of the first wait.
    public var baseDelay: Duration
    /// The cap of any wait.
    public var maxDelay: Duration
    /// No retry starts later than this after the first attempt began.
    public var budget: Duration
    /// A random number in the range (for jitter).
    public var random: @Sendable (ClosedRange<Double>) -> Double
    /// Waits the given time.
    public var sleep: @Sendable (Duration) async -> Void
    /// A monotonic clock reading.
    public var uptime: @Sendable () -> Duration

    /// STS error codes that mean "slow down" (botocore's throttling codes that STS and its emulators use).
    public static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled", "SlowDown",
    ]

    /// A policy; the defaults are 4 attempts, waits capped at 0.25 s, 0.5 s, 1 s, and a 10 s budget.
    public init(
        maxAttempts: Int = 4,
        baseDelay: Duration = .milliseconds(250),
        maxDelay: Duration = .seconds(2),
        budget: Duration = .seconds(10),
        random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) },
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) },
        uptime: @escaping @Sendable () -> Duration = monotonicUptime
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.budget = budget
        self.random = random
        self.sleep = sleep
        self.uptime = uptime
    }

    /// The defaults.
    public static var standard: RetryPolicy { RetryPolicy() }

    /// Never retries.
    public static var none: RetryPolicy { RetryPolicy(maxAttempts: 1) }

    /// The largest `max_attempts` accepted.
    public static let maximumConfiguredAttempts = 20

    /// This policy with botocore's attempt settings applied, the environment winning over the profile as for
    /// every setting: `AWS_MAX_ATTEMPTS` / `max_attempts` (attempts in all, the first included), else the default
    /// of `AWS_RETRY_MODE` / `retry_mode` (`legacy` 5, `standard` and `adaptive` 3); with neither, unchanged. Which
    /// answers are retried and how long to wait stay this policy's, whatever the mode.
    ///
    /// Throws ``STSError/invalidSetting(name:value:expected:)`` for a value botocore would refuse too.
    public func configured(environment: [String: String], profile: Profile?) throws(STSError) -> RetryPolicy {
        let lookup = Lookup(environment: environment, profile: profile)
        var policy = self
        if let mode = lookup.env("AWS_RETRY_MODE") ?? lookup.key("retry_mode") {
            switch mode.text {
            case "legacy": policy.maxAttempts = 5
            case "standard", "adaptive": policy.maxAttempts = 3
            default: throw .invalidSetting(name: mode.name, value: mode.text, expected: "legacy, standard or adaptive")
            }
        }
        if let attempts = lookup.env("AWS_MAX_ATTEMPTS") ?? lookup.key("max_attempts") {
            let text = trimmingWhitespace(attempts.text)
            guard text.utf8.count <= 3, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let count = Int(text),
                (1...Self.maximumConfiguredAttempts).contains(count)
            else {
                throw .invalidSetting(
                    name: attempts.name, value: attempts.text,
                    expected: "a whole number of attempts from 1 to \(Self.maximumConfiguredAttempts), the first included")
            }
            policy.maxAttempts = count
        }
        return policy
    }

    /// Whether an STS answer with `status` and error `code` (if any) may succeed when sent again.
    public static func isRetryable(status: Int, code: String?) -> Bool {
        if let code, throttlingCodes.contains(code) { return true }
        return status == 429 || (500...599).contains(status)
    }

    /// Whether a request that got no answer may succeed when sent again.
    public static func isRetryable(_ error: HTTPError) -> Bool {
        error.isTransient
    }

    /// The wait before retry `retry` (1 for the first retry): full jitter up to the capped exponential delay.
    public func delay(beforeRetry retry: Int) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        let cap = min(maxDelay, baseDelay * (1 << exponent))
        // Waits beyond an hour make no sense for a credential helper; the bound also keeps the conversion in range.
        let seconds = min(Double(cap.components.seconds) + Double(cap.components.attoseconds) / 1e18, 3600)
        guard seconds > 0 else { return .zero }
        let chosen = min(max(random(0...seconds), 0), seconds)
        return .nanoseconds(Int64(chosen * 1e9))
    }
}

/// Time since an arbitrary fixed point, from the monotonic clock.
@Sendable public func monotonicUptime() -> Duration {
    ContinuousClock.now - processStart
}

private let processStart = ContinuousClock.now
