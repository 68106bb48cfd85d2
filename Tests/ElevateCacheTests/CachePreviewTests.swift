#if canImport(Glibc)
    import Glibc
#endif
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import ElevateCache
import ElevateCore
import Testing

/// `explain`'s view of the cache: the backend and key a run would use, found without fetching, storing or
/// creating anything.
@Suite("the cache preview", .serialized)
struct CachePreviewTests {
    let now = Date(timeIntervalSince1970: 1_900_000_000)

    func cache(_ keyring: FakeKeyring) -> SessionCache { SessionCache(keyring: { keyring }, lockTimeout: .seconds(5)) }

    func preview(_ keyring: FakeKeyring, _ environment: [String: String], at time: Date? = nil) throws -> CachePreview {
        try cache(keyring).preview(
            for: plan(), context: context(LogRecorder(), environment: environment, now: time ?? now))
    }

    /// Runs the plan through the cache; the backend the run's debug lines name.
    func runBackend(_ keyring: FakeKeyring, _ environment: [String: String], at time: Date? = nil) async throws
        -> String
    {
        let recorder = LogRecorder()
        _ = try await cache(keyring).credentials(
            for: plan(), context: context(recorder, environment: environment, now: time ?? now)
        ) { _ in Fetcher(now: now).fetch() }
        for line in recorder.lines.map(\.message) {
            if line.hasPrefix("cache: backend file") { return "file" }
            if line.hasPrefix("cache: backend keyring") { return "keyring" }
        }
        return "none"
    }

    func name(_ backend: CachePreview.Backend) -> String {
        switch backend {
        case .none: "none"
        case .file: "file"
        case .keyring: "keyring"
        }
    }

    @Test(
        "the preview names the backend a run then uses, in every mode and keyring state",
        arguments: [
            ("file", KeyringState.available), ("auto", .available), ("auto", .unavailable(reason: "locked")),
            ("keyring", .available), ("keyring", .unavailable(reason: "no bus")), ("none", .available),
        ])
    func sameBackendAsARun(mode: String, state: KeyringState) async throws {
        let directory = TemporaryDirectory()
        let environment = cacheEnvironment(directory, mode: mode)
        let keyring = FakeKeyring(available: state)
        let before = try preview(keyring, environment)
        #expect(!exists(directory.cacheDirectory) && !exists(directory.keyPath), "the preview creates nothing")
        #expect(keyring.items.isEmpty)
        #expect(name(before.backend) == (try await runBackend(keyring, environment)))
        // After the run a fresh entry is there: the preview finds it where the next run is served from.
        let after = try preview(keyring, environment)
        #expect(name(after.backend) == (try await runBackend(keyring, environment)))
        if mode != "none" && !(mode == "keyring" && state != .available) {
            #expect(after.isFresh && after.entry != nil)
            #expect(after.entry.map { $0.expiration.timeIntervalSince(now) } == 3600)
        }
    }

    @Test("the preview's key is the key a run stores the session under")
    func sameKey() async throws {
        let directory = TemporaryDirectory()
        let environment = cacheEnvironment(directory)
        _ = try await runBackend(FakeKeyring(), environment)
        let preview = try preview(FakeKeyring(), environment)
        guard case .cached(let key, let role) = preview.derivation else {
            Issue.record("not cached: \(preview.derivation)")
            return
        }
        #expect(role == roleArn)
        #expect(preview.filePath == directory.cacheDirectory + "/v1-\(key.digest).session")
        #expect(exists(try #require(preview.filePath)))
    }

    @Test("a session inside the refresh margin is shown with its time left, and as one a run refreshes")
    func stale() async throws {
        let directory = TemporaryDirectory()
        let environment = cacheEnvironment(directory)
        _ = try await runBackend(FakeKeyring(), environment)
        let later = try preview(FakeKeyring(), environment, at: now.addingTimeInterval(50 * 60))
        #expect(later.entry != nil && !later.isFresh)
        #expect(later.refreshMargin.map { Int($0) } == 15 * 60)
    }

    @Test("a plan that is not cached says why, and names no backend")
    func notCached() throws {
        let directory = TemporaryDirectory()
        let opaque = bound(
            Plan(
                profile: "p", source: SourceStep(plugin: FakeSource(), profile: Profile(name: "base")),
                hops: [HopStep(plugin: OpaqueHop(), profile: Profile(name: "p"))]))
        let preview = try cache(FakeKeyring()).preview(
            for: opaque, context: context(LogRecorder(), environment: cacheEnvironment(directory), now: now))
        #expect(preview.derivation == .notCached(reason: "hop 1 ('opaque-hop') declares no cache identity"))
        #expect(name(preview.backend) == "none")
    }

    @Test("insecure cache files stop the preview as they stop a run")
    func insecure() async throws {
        let directory = TemporaryDirectory()
        let environment = cacheEnvironment(directory)
        _ = try await runBackend(FakeKeyring(), environment)
        chmod(directory.cacheDirectory, 0o755)
        #expect(throws: CacheError.self) { try preview(FakeKeyring(), environment) }
    }
}

/// `doctor`'s look at the file backend's files.
@Suite("the cache files check", .serialized)
struct CacheFilesCheckTests {
    @Test("missing files are fine, private ones are fine, open ones fail with the chmod remedy")
    func modes() async throws {
        let directory = TemporaryDirectory()
        let settings = try CacheSettings(environment: cacheEnvironment(directory), profile: nil)
        #expect(settings.checkFiles().allSatisfy { if case .ok = $0.outcome { true } else { false } })
        #expect(!exists(directory.cacheDirectory), "nothing is made")

        _ = try await SessionCache(keyring: { FakeKeyring() }).credentials(
            for: plan(), context: context(LogRecorder(), environment: cacheEnvironment(directory), now: Date())
        ) { _ in Fetcher(now: Date()).fetch() }
        let healthy = settings.checkFiles()
        #expect(healthy.map(\.what) == ["cache directory", "cache key file"])
        #expect(healthy[0].outcome == .ok("private (0700), yours; 2 files private (0600)"))
        #expect(healthy[1].outcome == .ok("private (0600), yours"))

        chmod(directory.keyPath, 0o644)
        guard case .failed(let problem, let remedy) = settings.checkFiles()[1].outcome else {
            Issue.record("an open key file passed")
            return
        }
        #expect(problem.contains("(mode 0644)"))
        #expect(remedy == "run: chmod 600 '\(directory.keyPath)'")

        chmod(directory.keyPath, 0o600)
        chmod(directory.cacheDirectory, 0o750)
        guard case .failed(_, let directoryRemedy) = settings.checkFiles()[0].outcome else {
            Issue.record("an open cache directory passed")
            return
        }
        #expect(directoryRemedy == "run: chmod 700 '\(directory.cacheDirectory)'")
    }
}
