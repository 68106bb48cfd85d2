#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs one blocking call on a detached thread of its own and waits for it until a deadline.
///
/// libsecret's `*_sync` calls block their thread until the Secret Service answers, for up to D-Bus's 25 s (or
/// forever, on a prompt). Waiting on another thread is the only hard bound: when the deadline passes, the
/// waiter returns and the thread is abandoned. It keeps its own references to everything it uses and frees
/// them when (if ever) the call returns; the process may well exit first, which is fine: nothing it holds
/// needs flushing.
enum DeadlineThread {
    enum Outcome<Value: Sendable>: Sendable {
        case finished(Value)
        case timedOut
        /// The thread could not be created (resource limits).
        case notStarted
    }

    /// Runs `body` on a new thread and returns its value, or `.timedOut` once `timeout` has passed; then
    /// `onTimeout` runs (to cancel the abandoned call) and the thread is left to finish alone.
    static func run<Value: Sendable>(
        timeout: Duration,
        onTimeout: @Sendable () -> Void = {},
        _ body: @escaping @Sendable () -> Value
    ) -> Outcome<Value> {
        let job = Job(body)
        var attributes = pthread_attr_t()
        guard pthread_attr_init(&attributes) == 0 else { return .notStarted }
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        // The thread owns one reference to the job; the waiter holds another.
        let context = Unmanaged.passRetained(job as AnyJob).toOpaque()
        guard pthread_create(&thread, &attributes, runJob, context) == 0 else {
            Unmanaged<AnyJob>.fromOpaque(context).release()
            return .notStarted
        }
        guard let value = job.wait(until: deadline(after: timeout)) else {
            onTimeout()
            return .timedOut
        }
        return .finished(value)
    }

    /// The bound used: at least 1 ms, at most one day.
    static func clamp(_ timeout: Duration) -> Duration {
        min(max(timeout, .milliseconds(1)), .seconds(86_400))
    }

    /// CLOCK_MONOTONIC now plus `timeout`, as the condition variable expects it.
    private static func deadline(after timeout: Duration) -> timespec {
        let (seconds, attoseconds) = clamp(timeout).components
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        var nanoseconds = Int(now.tv_nsec) + Int(attoseconds / 1_000_000_000)
        var wholeSeconds = Int(now.tv_sec) + Int(seconds)
        if nanoseconds >= 1_000_000_000 {
            nanoseconds -= 1_000_000_000
            wholeSeconds += 1
        }
        return timespec(tv_sec: wholeSeconds, tv_nsec: nanoseconds)
    }
}

/// The thread entry point: a C function cannot be generic, so it runs a type-erased job.
private func runJob(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    Unmanaged<AnyJob>.fromOpaque(context).takeRetainedValue().run()
    return nil
}

private class AnyJob: @unchecked Sendable {
    func run() {}
}

/// A body to run and the slot for its value, guarded by a mutex and a condition variable (on
/// CLOCK_MONOTONIC, so that a clock change moves no deadline).
private final class Job<Value: Sendable>: AnyJob, @unchecked Sendable {
    private let body: @Sendable () -> Value
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var value: Value?  // guarded by mutex
    private var done = false  // guarded by mutex

    init(_ body: @escaping @Sendable () -> Value) {
        self.body = body
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    override func run() {
        let result = body()
        pthread_mutex_lock(mutex)
        value = result
        done = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// The value, or nil when the deadline passed first.
    func wait(until deadline: timespec) -> Value? {
        var deadline = deadline
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !done {
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT {
                break
            }
        }
        return done ? value : nil
    }
}
