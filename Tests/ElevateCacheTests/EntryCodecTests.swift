#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
@testable import ElevateCache
import ElevateCore
import Testing

@Suite("entry payload")
struct EntryCodecTests {
    let now = Date(timeIntervalSince1970: 1_900_000_000.123)
    let key: CacheKey

    init() throws { key = try CacheKey(profile: "p", steps: []) }

    @Test("a full entry and a minimal one round-trip")
    func roundTrip() {
        let full = entry(key: key, now: now)
        #expect(EntryCodec.decode(EntryCodec.encode(full)) == full)
        var minimal = full
        minimal.credentials = Credentials(
            accessKeyId: "ASIAX", secretAccessKey: "s", expiration: now.addingTimeInterval(900))
        minimal.role = ""
        #expect(EntryCodec.decode(EntryCodec.encode(minimal)) == minimal)
    }

    @Test("every truncation, a trailing byte and another version are rejected")
    func strict() {
        let bytes = EntryCodec.encode(entry(key: key, now: now))
        for length in 0..<bytes.count {
            #expect(EntryCodec.decode(Array(bytes.prefix(length))) == nil, "accepted \(length) of \(bytes.count) bytes")
        }
        #expect(EntryCodec.decode(bytes + [0]) == nil)
        var other = bytes
        other[0] = 2
        #expect(EntryCodec.decode(other) == nil)
    }

    /// A keyring item is written by whoever holds the session bus: one that decodes but carries a value outside
    /// the credential rules would reach `env` text and SDKs like a fetched one.
    @Test("regression: an entry whose credentials break the rules is rejected like a tampered one", arguments: [
        "x'\u{301}; touch /tmp/pwned; #", "with space", "nul\u{0}", "line\nbreak", "",
    ])
    func hostileCredentials(value: String) {
        for field in 0..<3 {
            var hostile = entry(key: key, now: now)
            switch field {
            case 0: hostile.credentials.accessKeyId = value
            case 1: hostile.credentials.secretAccessKey = value
            default: hostile.credentials.sessionToken = value
            }
            #expect(EntryCodec.decode(EntryCodec.encode(hostile)) == nil, "field \(field)")
        }
    }

    /// Found by the cache-entry fuzz target: a time beyond 2^53 ms decoded, but did not encode back to its bytes.
    @Test("regression: times outside the years 1970-9999 are rejected")
    func timesOutOfRange() {
        var farFuture = entry(key: key, now: now)
        farFuture.fetchedAt = Date(timeIntervalSince1970: 253_402_300_800)
        #expect(EntryCodec.decode(EntryCodec.encode(farFuture)) == nil)
        var beforeEpoch = entry(key: key, now: now)
        beforeEpoch.fetchedAt = Date(timeIntervalSince1970: -1)
        #expect(EntryCodec.decode(EntryCodec.encode(beforeEpoch)) == nil)
    }
}
