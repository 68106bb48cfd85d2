#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// When a cached session may still be served.
///
/// botocore refreshes credentials advisorily 15 minutes before they expire and mandatorily 10 minutes before, and it
/// re-runs `credential_process` on every call inside that window; it even fails when freshly returned credentials
/// are inside the mandatory window. So a session is served only while more than the margin is left; the margin is
/// never below 15 minutes, except for a session whose whole lifetime is not longer than the margin, which is served
/// while more than half of its lifetime and more than 11 minutes (above botocore's mandatory 10) are left.
public struct Freshness: Sendable, Equatable {
    /// The smallest margin for sessions longer than it: botocore's advisory refresh window.
    public static let minimumMargin: TimeInterval = 15 * 60
    /// The floor for short sessions: one minute above botocore's mandatory refresh window.
    public static let shortSessionFloor: TimeInterval = 11 * 60

    /// The configured margin, already raised to at least ``minimumMargin``.
    public let margin: TimeInterval

    /// A margin of `configured` seconds, raised to ``minimumMargin`` when below it.
    public init(configured: TimeInterval) {
        margin = max(configured, Self.minimumMargin)
    }

    /// The margin that applies to a session fetched at `fetchedAt` and expiring at `expiration`.
    public func effectiveMargin(fetchedAt: Date, expiration: Date) -> TimeInterval {
        let lifetime = expiration.timeIntervalSince(fetchedAt)
        if lifetime > margin { return margin }
        return max(lifetime / 2, Self.shortSessionFloor)
    }

    /// Whether `entry` may be served at `now`.
    public func isFresh(_ entry: CacheEntry, now: Date) -> Bool {
        secondsLeft(entry, now: now) > effectiveMargin(fetchedAt: entry.fetchedAt, expiration: entry.expiration)
    }

    /// Seconds until `entry` expires (negative once it has).
    public func secondsLeft(_ entry: CacheEntry, now: Date) -> TimeInterval {
        entry.expiration.timeIntervalSince(now)
    }
}

/// `1h05m`, `42m`, `30s`, `expired`: a duration as `cache list` and debug lines show it.
public func formatRemaining(_ seconds: TimeInterval) -> String {
    guard seconds > 0 else { return "expired" }
    let whole = Int(seconds)
    if whole < 60 { return "\(whole)s" }
    let minutes = whole / 60
    if minutes < 60 { return "\(minutes)m" }
    let rest = minutes % 60
    return "\(minutes / 60)h" + (rest < 10 ? "0" : "") + "\(rest)m"
}
