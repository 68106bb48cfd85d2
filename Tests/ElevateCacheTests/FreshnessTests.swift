#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ElevateCache
import ElevateCore
import Testing

@Suite("refresh margin and settings")
struct FreshnessTests {
    let now = Date(timeIntervalSince1970: 1_900_000_000)
    let key: CacheKey

    init() throws { key = try CacheKey(profile: "p", steps: []) }

    func entry(fetchedMinutesAgo: Double, lifetimeMinutes: Double) -> CacheEntry {
        let fetched = now.addingTimeInterval(-fetchedMinutesAgo * 60)
        return ElevateCacheTests.entry(key: key, now: fetched, lifetime: lifetimeMinutes * 60)
    }

    @Test("a session is served while more than 15 minutes are left, and refreshed after")
    func defaultMargin() {
        let freshness = Freshness(configured: 15 * 60)
        #expect(freshness.isFresh(entry(fetchedMinutesAgo: 44, lifetimeMinutes: 60), now: now))
        #expect(!freshness.isFresh(entry(fetchedMinutesAgo: 45, lifetimeMinutes: 60), now: now))
        #expect(!freshness.isFresh(entry(fetchedMinutesAgo: 61, lifetimeMinutes: 60), now: now))
    }

    @Test("a configured margin below 15 minutes counts as 15; a larger one is kept")
    func configured() {
        #expect(Freshness(configured: 5 * 60).margin == 15 * 60)
        #expect(Freshness(configured: 0).margin == 15 * 60)
        #expect(Freshness(configured: 30 * 60).margin == 30 * 60)
        let thirty = Freshness(configured: 30 * 60)
        #expect(thirty.isFresh(entry(fetchedMinutesAgo: 29, lifetimeMinutes: 60), now: now))
        #expect(!thirty.isFresh(entry(fetchedMinutesAgo: 31, lifetimeMinutes: 60), now: now))
    }

    @Test("a session no longer than the margin is served for a while, always above botocore's 10-minute window")
    func shortSession() {
        let freshness = Freshness(configured: 15 * 60)
        // 15-minute session (STS's minimum): margin 11 minutes, so served during its first 4 minutes.
        #expect(freshness.effectiveMargin(fetchedAt: now, expiration: now.addingTimeInterval(900)) == 660)
        #expect(freshness.isFresh(entry(fetchedMinutesAgo: 3.9, lifetimeMinutes: 15), now: now))
        #expect(!freshness.isFresh(entry(fetchedMinutesAgo: 4.1, lifetimeMinutes: 15), now: now))
        // A 30-minute session with a 60-minute margin: half its lifetime.
        let long = Freshness(configured: 60 * 60)
        #expect(long.effectiveMargin(fetchedAt: now, expiration: now.addingTimeInterval(1800)) == 900)
        // Never served with 11 minutes or less left, whatever the lifetime.
        #expect(!freshness.isFresh(entry(fetchedMinutesAgo: 0, lifetimeMinutes: 10), now: now))
    }

    @Test("remaining time is shown as hours and minutes")
    func remaining() {
        #expect(formatRemaining(3 * 3600 + 5 * 60 + 7) == "3h05m")
        #expect(formatRemaining(42 * 60 + 59) == "42m")
        #expect(formatRemaining(30) == "30s")
        #expect(formatRemaining(-1) == "expired")
    }

    @Test("settings: the environment wins over the profile, and an empty value counts as unset")
    func settingsPrecedence() throws {
        let profile = Profile(name: "p", values: ["elevate_cache": "keyring", "elevate_refresh_margin": "20"])
        let fromProfile = try CacheSettings(environment: ["HOME": "/h"], profile: profile)
        #expect(fromProfile.mode == .keyring && fromProfile.modeSource == "elevate_cache in profile 'p'")
        #expect(fromProfile.refreshMargin == 1200)
        let fromEnvironment = try CacheSettings(
            environment: ["HOME": "/h", "AWS_ELEVATE_CACHE": "FILE", "AWS_ELEVATE_REFRESH_MARGIN": "45"],
            profile: profile)
        #expect(fromEnvironment.mode == .file && fromEnvironment.modeSource == "AWS_ELEVATE_CACHE")
        #expect(fromEnvironment.refreshMargin == 2700)
        let empty = try CacheSettings(environment: ["HOME": "/h", "AWS_ELEVATE_CACHE": ""], profile: nil)
        #expect(empty.mode == .auto && empty.refreshMargin == 900)
    }

    @Test("settings: paths follow XDG, with AWS_ELEVATE_CACHE_DIR winning; relative XDG values are ignored")
    func paths() throws {
        let plain = try CacheSettings(environment: ["HOME": "/home/u"], profile: nil)
        #expect(plain.directory == "/home/u/.cache/aws-elevate")
        #expect(plain.keyPath == "/home/u/.config/aws-elevate/cache.key")
        let xdg = try CacheSettings(
            environment: ["HOME": "/home/u", "XDG_CACHE_HOME": "/c/", "XDG_CONFIG_HOME": "/k"], profile: nil)
        #expect(xdg.directory == "/c/aws-elevate" && xdg.keyPath == "/k/aws-elevate/cache.key")
        let relative = try CacheSettings(environment: ["HOME": "/home/u", "XDG_CACHE_HOME": "rel"], profile: nil)
        #expect(relative.directory == "/home/u/.cache/aws-elevate")
        let explicit = try CacheSettings(environment: ["HOME": "/home/u", "AWS_ELEVATE_CACHE_DIR": "/x/y"], profile: nil)
        #expect(explicit.directory == "/x/y")
    }

    @Test("settings: an unknown mode or a bad margin is a configuration error quoting the value",
          arguments: [("AWS_ELEVATE_CACHE", "disk"), ("AWS_ELEVATE_REFRESH_MARGIN", "-5"),
                      ("AWS_ELEVATE_REFRESH_MARGIN", "1.5"), ("AWS_ELEVATE_REFRESH_MARGIN", "721")])
    func invalid(name: String, value: String) throws {
        let error = try #require(throws: CacheError.self) {
            try CacheSettings(environment: ["HOME": "/h", name: value], profile: nil)
        }
        #expect(error.category == .configuration)
        #expect(error.problem.contains("'\(value)'") && error.problem.contains(name))
    }
}
