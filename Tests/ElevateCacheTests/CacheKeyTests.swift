import ElevateCache
import ElevateCore
import ElevateCrypto
import Logging
import Testing

@Suite("cache keys")
struct CacheKeyTests {
    let recorder = LogRecorder()

    func derive(_ plan: Plan, source: FakeSource = FakeSource()) -> CacheDerivation {
        var plan = plan
        plan.source.plugin = source
        return CacheDerivation.derive(
            plan: bound(plan), context: RunContext(environment: [:], logger: recorder.logger))
    }

    func key(_ plan: Plan, source: FakeSource = FakeSource()) -> CacheKey? {
        guard case .cached(let key, _) = derive(plan, source: source) else { return nil }
        return key
    }

    @Test("the keyring's SHA-256 (GLib) gives OpenSSL's digests, so both modes name an entry alike",
          arguments: [0, 1, 55, 56, 64, 1000, 100_000])
    func keyringDigestMatchesOpenSSL(length: Int) throws {
        let bytes = try randomBytes(count: length)
        #expect(try SecretServiceKeyring().sha256(bytes) == ElevateCrypto.sha256(bytes))
        let steps: [(plugin: String, parts: [String: String])] = [("fake-source", ["access_key_id": "AKIA1"])]
        #expect(try CacheKey(profile: "p", steps: steps, sha256: SecretServiceKeyring().sha256)
                == CacheKey(profile: "p", steps: steps))
    }

    @Test("the key changes when any identity part of a hop changes", arguments: [
        "role_arn", "role_session_name", "external_id", "duration_seconds", "mfa_serial", "source_identity",
        "session_tags", "transitive_session_tags", "region", "endpoint",
    ])
    func hopPartChanges(part: String) throws {
        let base = ["role_session_name": "s", "external_id": "x1", "duration_seconds": "3600", "mfa_serial": "m",
                    "source_identity": "si", "session_tags": "a=b", "transitive_session_tags": "a",
                    "region": "eu-west-1", "endpoint": "https://sts.eu-west-1.amazonaws.com"]
        var changed = base
        changed[part] = (base[part] ?? "") + "-changed"
        let original = try #require(key(unboundPlan(settings: base)))
        let other = try #require(key(unboundPlan(settings: changed)))
        #expect(original != other)
        #expect(original == key(unboundPlan(settings: base)), "the same plan gives the same key")
    }

    @Test("the key changes with the source's identity (a key id, IMDS settings, machine id and instance)")
    func sourceChanges() throws {
        let one = try #require(key(unboundPlan(), source: FakeSource(parts: ["access_key_id": "AKIAONE"])))
        let two = try #require(key(unboundPlan(), source: FakeSource(parts: ["access_key_id": "AKIATWO"])))
        let imds = try #require(key(unboundPlan(), source: FakeSource(parts: ["endpoint": "http://a", "machine_id": "1"])))
        let otherMachine = try #require(
            key(unboundPlan(), source: FakeSource(parts: ["endpoint": "http://a", "machine_id": "2"])))
        let instance = try #require(
            key(unboundPlan(), source: FakeSource(parts: ["endpoint": "http://a", "machine_id": "1", "instance": "i-1234abcd"])))
        let clone = try #require(
            key(unboundPlan(), source: FakeSource(parts: ["endpoint": "http://a", "machine_id": "1", "instance": "i-5678abcd"])))
        #expect(Set([one, two, imds, otherMachine, instance, clone]).count == 6)
    }

    @Test("the key changes with the requested profile, a hop's plugin and the number of hops")
    func structureChanges() throws {
        let base = try #require(key(unboundPlan()))
        #expect(key(unboundPlan(profile: "other")) != base)
        var twoHops = unboundPlan()
        twoHops.hops.insert(HopStep(plugin: FakeHop(), profile: Profile(name: "mid", values: ["role_arn": "r"])), at: 0)
        #expect(key(twoHops) != base)
        // Parts are length-prefixed: moving text between a name and a value is a different key.
        #expect(key(unboundPlan(settings: ["ab": "c"])) != key(unboundPlan(settings: ["a": "bc"])))
    }

    @Test("the key is a versioned digest and holds no part of the identity, secret or not")
    func keyHoldsNoSecret() throws {
        let secret = "wJalrXUtnFEMI/K7MDENG"
        let derived = key(unboundPlan(settings: ["external_id": secret]), source: FakeSource(parts: ["access_key_id": "AKIAVISIBLE"]))
        let key = try #require(derived)
        #expect(key.name.hasPrefix("aws-elevate/v\(CacheKey.version)/"))
        #expect(CacheKey.version == 1)
        #expect(key.digest.count == 64 && key.digest.allSatisfy(\.isHexDigit))
        #expect(!key.name.contains(secret) && !key.name.contains("AKIAVISIBLE") && !key.name.contains("target"))
        #expect(!key.description.contains("AKIAVISIBLE"))
        #expect(CacheKey(digest: key.digest) == key)
        #expect(CacheKey(digest: "../etc/passwd") == nil)
    }

    @Test("a local source alone is not cached; a remote source alone is")
    func localSourceAlone() {
        let alone = Plan(profile: "base", source: SourceStep(plugin: FakeSource(), profile: Profile(name: "base")))
        guard case .notCached(let reason) = derive(alone, source: FakeSource(readsLocally: true)) else {
            Issue.record("a static-keys plan must not be cached")
            return
        }
        #expect(reason.contains("local keys"))
        guard case .cached(_, let role) = derive(alone, source: FakeSource(readsLocally: false)) else {
            Issue.record("an IMDS-like source alone is cached")
            return
        }
        #expect(role == "")
    }

    @Test("a step without a cache identity makes the plan uncached")
    func opaqueStep() {
        var opaque = unboundPlan()
        opaque.hops.append(HopStep(plugin: OpaqueHop(), profile: Profile(name: "x")))
        guard case .notCached(let reason) = derive(opaque) else {
            Issue.record("a hop without identity cannot be cached")
            return
        }
        #expect(reason.contains("hop 2"))
        guard case .notCached = derive(unboundPlan(), source: FakeSource(parts: nil)) else {
            Issue.record("a source without identity cannot be cached")
            return
        }
    }

    @Test("the role of the listing is the last hop's role_arn")
    func role() {
        guard case .cached(_, let role) = derive(unboundPlan(role: "arn:aws:iam::123456789012:role/last")) else {
            Issue.record("expected a key")
            return
        }
        #expect(role == "arn:aws:iam::123456789012:role/last")
    }
}
