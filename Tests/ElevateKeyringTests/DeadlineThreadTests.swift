@testable import ElevateKeyring
import Foundation
import Synchronization
import Testing

@Suite("DeadlineThread")
struct DeadlineThreadTests {
    @Test("returns the value of a call that finishes in time")
    func finishes() {
        let outcome = DeadlineThread.run(timeout: .seconds(5)) { [UInt8](repeating: 7, count: 3) }
        guard case let .finished(value) = outcome else {
            Issue.record("expected .finished, got \(outcome)")
            return
        }
        #expect(value == [7, 7, 7])
    }

    @Test("gives up at the deadline, runs onTimeout, and leaves the call to finish alone")
    func timesOut() {
        let cancelled = Flag()
        let finished = Flag()
        let start = ContinuousClock.now
        let outcome = DeadlineThread.run(timeout: .milliseconds(100), onTimeout: { cancelled.set() }) {
            usleep(600_000)
            finished.set()
            return 1
        }
        let elapsed = ContinuousClock.now - start
        guard case .timedOut = outcome else {
            Issue.record("expected .timedOut, got \(outcome)")
            return
        }
        #expect(elapsed >= .milliseconds(95) && elapsed < .milliseconds(500), "\(elapsed)")
        #expect(cancelled.isSet)
        #expect(!finished.isSet)
        usleep(900_000)
        #expect(finished.isSet, "the abandoned call should still run to its end")
    }

    @Test("an optional nil value is a finished call, not a timeout")
    func nilValue() {
        let outcome = DeadlineThread.run(timeout: .seconds(5)) { () -> Int? in nil }
        guard case let .finished(value) = outcome else {
            Issue.record("expected .finished, got \(outcome)")
            return
        }
        #expect(value == nil)
    }

    @Test("many calls at once each get their own value")
    func concurrent() async {
        await withTaskGroup(of: Bool.self) { group in
            for index in 0..<32 {
                group.addTask {
                    if case let .finished(value) = DeadlineThread.run(timeout: .seconds(10), { index * 2 }) {
                        return value == index * 2
                    }
                    return false
                }
            }
            for await ok in group {
                #expect(ok)
            }
        }
    }

    @Test("timeouts are clamped to between 1 ms and a day")
    func clamp() {
        #expect(DeadlineThread.clamp(.zero) == .milliseconds(1))
        #expect(DeadlineThread.clamp(.seconds(-5)) == .milliseconds(1))
        #expect(DeadlineThread.clamp(.seconds(2)) == .seconds(2))
        #expect(DeadlineThread.clamp(.seconds(Int64.max)) == .seconds(86_400))
    }
}

private final class Flag: Sendable {
    private let value = Mutex(false)

    var isSet: Bool { value.withLock { $0 } }

    func set() {
        value.withLock { $0 = true }
    }
}
