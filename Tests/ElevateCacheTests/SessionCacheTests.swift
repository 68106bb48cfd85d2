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

@Suite("the cache decorator", .serialized)
struct SessionCacheTests {
    let now = Date(timeIntervalSince1970: 1_900_000_000)

    func cache(_ keyring: FakeKeyring = FakeKeyring()) -> SessionCache {
        SessionCache(keyring: { keyring }, lockTimeout: .seconds(5))
    }

    func request(
        _ cache: SessionCache, _ environment: [String: String], fetcher: Fetcher, at time: Date? = nil,
        recorder: LogRecorder = LogRecorder(), tokenCode: String? = nil, plan: BoundPlan = plan()
    ) async throws -> Credentials {
        try await cache.credentials(
            for: plan, context: context(recorder, environment: environment, now: time ?? now, tokenCode: tokenCode)
        ) { _ in fetcher.fetch() }
    }

    @Test("a miss fetches and stores; the next request is a hit that does not fetch")
    func missThenHit() async throws {
        let directory = TemporaryDirectory()
        let environment = cacheEnvironment(directory)
        let fetcher = Fetcher(now: now)
        let first = try await request(cache(), environment, fetcher: fetcher)
        let recorder = LogRecorder()
        let second = try await request(cache(), environment, fetcher: fetcher, recorder: recorder)
        #expect(fetcher.fetches == 1)
        #expect(first == second)
        #expect(recorder.debugText.contains("cache: hit (file)"))
        #expect(!recorder.debugText.contains(secretKey) && !recorder.debugText.contains(sessionToken))
        #expect(recorder.debugText.contains("****BER1") && !recorder.debugText.contains("ASIAFETCHNUMBER1"), "masked key id")
    }

    @Test("a session inside the refresh margin is refreshed, and the new one replaces it")
    func refresh() async throws {
        let directory = TemporaryDirectory()
        let environment = cacheEnvironment(directory, extra: ["AWS_ELEVATE_REFRESH_MARGIN": "20"])
        let fetcher = Fetcher(now: now)
        _ = try await request(cache(), environment, fetcher: fetcher)
        _ = try await request(cache(), environment, fetcher: fetcher, at: now.addingTimeInterval(39 * 60))
        #expect(fetcher.fetches == 1, "40 minutes ahead of expiry: served")
        let recorder = LogRecorder()
        _ = try await request(
            cache(), environment, fetcher: fetcher, at: now.addingTimeInterval(41 * 60), recorder: recorder)
        #expect(fetcher.fetches == 2, "19 minutes left, under the 20-minute margin: refreshed")
        #expect(recorder.debugText.contains("cache: refresh (file): 19m left, refresh margin 20m"))
    }

    @Test("a tampered entry is discarded and refetched")
    func tamperedRefetched() async throws {
        let directory = TemporaryDirectory()
        let environment = cacheEnvironment(directory)
        let fetcher = Fetcher(now: now)
        _ = try await request(cache(), environment, fetcher: fetcher)
        let key = try #require(onlyEntry(directory))
        var bytes = readBytes(key)
        bytes[bytes.count - 1] ^= 0x80
        writeBytes(key, bytes)
        let recorder = LogRecorder()
        let served = try await request(cache(), environment, fetcher: fetcher, recorder: recorder)
        #expect(fetcher.fetches == 2 && served.accessKeyId == "ASIAFETCHNUMBER2")
        #expect(recorder.debugText.contains("entry discarded"))
        _ = try await request(cache(), environment, fetcher: fetcher)
        #expect(fetcher.fetches == 2, "the refetched session replaced the tampered entry")
    }

    @Test("an unwritable cache (below a regular file) serves the fetched session with exactly one warning")
    func unwritable() async throws {
        let directory = TemporaryDirectory()
        writeBytes(directory.path + "/file", [0])
        let environment = cacheEnvironment(directory, extra: ["AWS_ELEVATE_CACHE_DIR": directory.path + "/file/c"])
        let fetcher = Fetcher(now: now)
        let recorder = LogRecorder()
        let served = try await request(cache(), environment, fetcher: fetcher, recorder: recorder)
        #expect(served.accessKeyId == "ASIAFETCHNUMBER1")
        #expect(recorder.warnings.count == 1, "\(recorder.warnings)")
        #expect(recorder.warnings.first?.contains(directory.path + "/file/c") == true)
        #expect(recorder.warnings.first?.contains("served uncached") == true)
    }

    @Test("an immutable cache directory serves the fetched session with exactly one warning")
    func immutable() async throws {
        let directory = TemporaryDirectory()
        mkdir(directory.path + "/cache", 0o700)
        mkdir(directory.cacheDirectory, 0o700)
        #expect(run("chattr +i '\(directory.cacheDirectory)'") == 0)
        let fetcher = Fetcher(now: now)
        let recorder = LogRecorder()
        _ = try await request(cache(), cacheEnvironment(directory), fetcher: fetcher, recorder: recorder)
        #expect(fetcher.fetches == 1)
        #expect(recorder.warnings.count == 1, "\(recorder.warnings)")
    }

    @Test("an unwritable key directory serves the fetched session with exactly one warning")
    func unwritableKey() async throws {
        let directory = TemporaryDirectory()
        writeBytes(directory.path + "/config", [0])
        let fetcher = Fetcher(now: now)
        let recorder = LogRecorder()
        _ = try await request(cache(), cacheEnvironment(directory), fetcher: fetcher, recorder: recorder)
        #expect(recorder.warnings.count == 1, "\(recorder.warnings)")
        #expect(onlyEntry(directory) == nil)
    }

    @Test("insecure permissions stop the request before anything is fetched")
    func insecure() async throws {
        let directory = TemporaryDirectory()
        let environment = cacheEnvironment(directory)
        let fetcher = Fetcher(now: now)
        _ = try await request(cache(), environment, fetcher: fetcher)
        chmod(directory.cacheDirectory, 0o755)
        await #expect(throws: CacheError.self) { try await request(cache(), environment, fetcher: fetcher) }
        #expect(fetcher.fetches == 1)
    }

    @Test("mode none always fetches and writes nothing")
    func none() async throws {
        let directory = TemporaryDirectory()
        let keyring = FakeKeyring()
        let environment = cacheEnvironment(directory, mode: "none")
        let fetcher = Fetcher(now: now)
        _ = try await request(cache(keyring), environment, fetcher: fetcher)
        _ = try await request(cache(keyring), environment, fetcher: fetcher)
        #expect(fetcher.fetches == 2)
        #expect(!exists(directory.cacheDirectory) && !exists(directory.keyPath))
        #expect(keyring.calls.isEmpty, "the keyring is never asked when the cache is off")
    }

    @Test("mode file never touches the keyring")
    func fileNeverAsksTheKeyring() async throws {
        let directory = TemporaryDirectory()
        let keyring = FakeKeyring()
        let fetcher = Fetcher(now: now)
        _ = try await request(cache(keyring), cacheEnvironment(directory), fetcher: fetcher)
        _ = try await request(cache(keyring), cacheEnvironment(directory), fetcher: fetcher)
        #expect(fetcher.fetches == 1)
        #expect(keyring.calls.isEmpty)
    }

    @Test("mode keyring stores in the keyring only, and serves from it")
    func keyringMode() async throws {
        let directory = TemporaryDirectory()
        let keyring = FakeKeyring()
        let environment = cacheEnvironment(directory, mode: "keyring")
        let fetcher = Fetcher(now: now)
        _ = try await request(cache(keyring), environment, fetcher: fetcher)
        _ = try await request(cache(keyring), environment, fetcher: fetcher)
        #expect(fetcher.fetches == 1)
        #expect(keyring.items.count == 1)
        #expect(onlyEntry(directory) == nil && !exists(directory.keyPath), "no session file and no key file")
        let attributes = try #require(keyring.items.values.first?.0)
        #expect(attributes["profile"] == "app-chain" && attributes["role_arn"] == roleArn)
        #expect(!attributes.values.contains { $0.contains(secretKey) || $0.contains(sessionToken) })
    }

    @Test("mode keyring with no keyring serves uncached with one warning and writes no file")
    func keyringUnavailable() async throws {
        let directory = TemporaryDirectory()
        let keyring = FakeKeyring(available: .unavailable(reason: "the default collection is locked"))
        let recorder = LogRecorder()
        let fetcher = Fetcher(now: now)
        _ = try await request(
            cache(keyring), cacheEnvironment(directory, mode: "keyring"), fetcher: fetcher, recorder: recorder)
        #expect(recorder.warnings.count == 1 && recorder.warnings[0].contains("locked"))
        #expect(onlyEntry(directory) == nil)
    }

    @Test("auto uses the keyring when it can serve")
    func autoKeyring() async throws {
        let directory = TemporaryDirectory()
        let keyring = FakeKeyring()
        let recorder = LogRecorder()
        let fetcher = Fetcher(now: now)
        _ = try await request(cache(keyring), cacheEnvironment(directory, mode: "auto"), fetcher: fetcher)
        _ = try await request(
            cache(keyring), cacheEnvironment(directory, mode: "auto"), fetcher: fetcher, recorder: recorder)
        #expect(fetcher.fetches == 1 && keyring.items.count == 1)
        #expect(recorder.debugText.contains("cache: backend keyring (auto: found in the keyring)"))
        #expect(recorder.debugText.contains("cache: hit (keyring)"))
        #expect(keyring.calls == ["lookup", "availability", "lookup", "store", "lookup"], "a keyring hit is one lookup")
    }

    @Test("auto falls back to files when the keyring cannot serve, saying why, and then serves without asking it")
    func autoFile() async throws {
        let directory = TemporaryDirectory()
        let keyring = FakeKeyring(available: .unavailable(reason: "no D-Bus session bus"))
        let recorder = LogRecorder()
        let fetcher = Fetcher(now: now)
        _ = try await request(
            cache(keyring), cacheEnvironment(directory, mode: "auto"), fetcher: fetcher, recorder: recorder)
        #expect(recorder.debugText.contains("cache: backend file (auto: the keyring cannot serve: no D-Bus session bus)"))
        #expect(keyring.calls == ["lookup", "availability"], "a lookup never prompts, so it comes first")
        #expect(onlyEntry(directory) != nil)
        _ = try await request(cache(keyring), cacheEnvironment(directory, mode: "auto"), fetcher: fetcher)
        #expect(fetcher.fetches == 1)
        #expect(keyring.calls == ["lookup", "availability"], "a file hit never asks the keyring")
        #expect(recorder.warnings.isEmpty)
    }

    @Test("auto: a keyring lookup that fails after the keyring said it can serve falls back to files; the next call is a file hit")
    func autoLookupFailureFallsBackToFiles() async throws {
        let directory = TemporaryDirectory()
        let keyring = FakeKeyring(lookupFails: true)
        let environment = cacheEnvironment(directory, mode: "auto")
        let fetcher = Fetcher(now: now)
        let recorder = LogRecorder()
        _ = try await request(cache(keyring), environment, fetcher: fetcher, recorder: recorder)
        #expect(
            recorder.debugText.contains(
                "cache: backend file (auto: the keyring lookup failed: keyring lookup failed: the keyring did not "
                    + "answer in time)"), "\(recorder.debugText)")
        #expect(recorder.debugText.contains("cache: stored (file)"))
        #expect(recorder.warnings.isEmpty, "\(recorder.warnings)")
        #expect(onlyEntry(directory) != nil && keyring.items.isEmpty)
        let second = LogRecorder()
        _ = try await request(cache(keyring), environment, fetcher: fetcher, recorder: second)
        #expect(fetcher.fetches == 1, "the second call was served from the file")
        #expect(second.debugText.contains("cache: hit (file)"))
        #expect(keyring.calls == ["lookup", "availability"], "a file hit never asks the keyring")
    }

    @Test("auto: a keyring store that fails after the keyring said it can serve stores in a file instead")
    func autoStoreFailureFallsBackToFiles() async throws {
        let directory = TemporaryDirectory()
        let keyring = FakeKeyring(storeFails: true)
        let environment = cacheEnvironment(directory, mode: "auto")
        let fetcher = Fetcher(now: now)
        let recorder = LogRecorder()
        _ = try await request(cache(keyring), environment, fetcher: fetcher, recorder: recorder)
        #expect(recorder.debugText.contains("cache: backend file (auto: the keyring store failed: keyring store failed: "))
        #expect(recorder.debugText.contains("cache: stored (file)"))
        #expect(recorder.warnings.isEmpty, "\(recorder.warnings)")
        #expect(keyring.calls == ["lookup", "availability", "lookup", "store"])
        let second = LogRecorder()
        _ = try await request(cache(keyring), environment, fetcher: fetcher, recorder: second)
        #expect(fetcher.fetches == 1 && second.debugText.contains("cache: hit (file)"))
        #expect(keyring.calls.count == 4, "a file hit never asks the keyring")
    }

    @Test("auto: when the file store fails too, the session is served uncached with one warning")
    func autoBothStoresFail() async throws {
        let directory = TemporaryDirectory()
        writeBytes(directory.path + "/file", [0])
        let keyring = FakeKeyring(storeFails: true)
        let environment = cacheEnvironment(
            directory, mode: "auto", extra: ["AWS_ELEVATE_CACHE_DIR": directory.path + "/file/c"])
        let recorder = LogRecorder()
        // The lock cannot be taken below a regular file either: the keyring fetches without one.
        _ = try await request(cache(keyring), environment, fetcher: Fetcher(now: now), recorder: recorder)
        #expect(recorder.warnings.count == 1 && recorder.warnings[0].contains("served uncached"), "\(recorder.warnings)")
    }

    @Test("keyring mode: a failing lookup or store still serves uncached with one warning, and writes no file",
          arguments: [(true, false), (false, true)])
    func keyringModeFailuresStayUncached(lookupFails: Bool, storeFails: Bool) async throws {
        let directory = TemporaryDirectory()
        let keyring = FakeKeyring(lookupFails: lookupFails, storeFails: storeFails)
        let recorder = LogRecorder()
        _ = try await request(
            cache(keyring), cacheEnvironment(directory, mode: "keyring"), fetcher: Fetcher(now: now), recorder: recorder)
        #expect(recorder.warnings.count == 1 && recorder.warnings[0].contains("keyring session cache"), "\(recorder.warnings)")
        #expect(onlyEntry(directory) == nil && !exists(directory.keyPath))
    }

    @Test("keyring mode keeps its lock files in $XDG_RUNTIME_DIR/aws-elevate (0700): an insecure or missing cache directory does not matter")
    func keyringModeLocksInTheRuntimeDirectory() async throws {
        let directory = TemporaryDirectory()
        let runtime = directory.path + "/run"
        mkdir(runtime, 0o700)
        let keyring = FakeKeyring()
        let environment = cacheEnvironment(directory, mode: "keyring", extra: ["XDG_RUNTIME_DIR": runtime])
        let fetcher = Fetcher(now: now)
        _ = try await request(cache(keyring), environment, fetcher: fetcher)
        #expect(mode(of: runtime + "/aws-elevate") == 0o700)
        #expect(lockFiles(in: runtime + "/aws-elevate").count == 1)
        #expect(!exists(directory.path + "/cache"), "the cache directory was not made")
        // An insecure cache directory stops a file-backed run, not the keyring mode.
        mkdir(directory.path + "/cache", 0o755)
        mkdir(directory.cacheDirectory, 0o755)
        chmod(directory.cacheDirectory, 0o755)
        let recorder = LogRecorder()
        let later = now.addingTimeInterval(50 * 60)
        let refetcher = Fetcher(now: later)
        let refreshed = try await request(cache(keyring), environment, fetcher: refetcher, at: later, recorder: recorder)
        #expect(refetcher.fetches == 1, "refreshed under the lock")
        #expect(keyring.items.count == 1 && keyring.calls.filter { $0 == "store" }.count == 2, "and stored in the keyring")
        #expect(try await request(cache(keyring), environment, fetcher: refetcher, at: later) == refreshed)
        #expect(recorder.warnings.isEmpty, "\(recorder.warnings)")
        #expect(lockFiles(in: directory.cacheDirectory).isEmpty)
    }

    @Test("keyring mode without a runtime directory keeps its locks in the cache directory, as before",
          arguments: [nil, "/nonexistent/run"])
    func keyringModeWithoutRuntimeDirectory(runtime: String?) async throws {
        let directory = TemporaryDirectory()
        var extra: [String: String] = [:]
        if let runtime { extra["XDG_RUNTIME_DIR"] = runtime }
        _ = try await request(
            cache(FakeKeyring()), cacheEnvironment(directory, mode: "keyring", extra: extra), fetcher: Fetcher(now: now))
        #expect(lockFiles(in: directory.cacheDirectory).count == 1)
    }

    @Test("keyring mode: a lock directory that is a symbolic link or open to others is refused like the cache directory")
    func keyringModeLockDirectoryChecked() async throws {
        let directory = TemporaryDirectory()
        let runtime = directory.path + "/run"
        mkdir(runtime, 0o700)
        mkdir(directory.path + "/elsewhere", 0o700)
        symlink(directory.path + "/elsewhere", runtime + "/aws-elevate")
        let environment = cacheEnvironment(directory, mode: "keyring", extra: ["XDG_RUNTIME_DIR": runtime])
        let fetcher = Fetcher(now: now)
        await #expect(throws: CacheError.symbolicLink(path: runtime + "/aws-elevate", isLockDirectory: true)) {
            try await request(cache(FakeKeyring()), environment, fetcher: fetcher)
        }
        #expect(lockFiles(in: directory.path + "/elsewhere").isEmpty)
        unlink(runtime + "/aws-elevate")
        mkdir(runtime + "/aws-elevate", 0o755)
        let insecure = CacheError.insecurePermissions(path: runtime + "/aws-elevate", mode: 0o40755, isDirectory: true)
        await #expect(throws: insecure) {
            try await request(cache(FakeKeyring()), environment, fetcher: fetcher)
        }
        #expect(fetcher.fetches == 0)
        let failure = CacheError.symbolicLink(path: runtime + "/aws-elevate", isLockDirectory: true)
        #expect(failure.problem.contains("lock directory") && failure.remedy.contains("rm '\(runtime)/aws-elevate'"))
    }

    @Test("the key is hashed by the keyring's library when the keyring may be asked, else by OpenSSL",
          arguments: [("auto", true, 1), ("auto", false, 0), ("keyring", true, 1), ("keyring", false, 1), ("file", true, 0)])
    func hashingFollowsTheBackend(mode: String, reachable: Bool, digests: Int) async throws {
        let directory = TemporaryDirectory()
        let keyring = FakeKeyring(available: .unavailable(reason: "no keyring"), mayBeReachable: reachable)
        _ = try await request(cache(keyring), cacheEnvironment(directory, mode: mode), fetcher: Fetcher(now: now))
        #expect(keyring.digests == digests)
    }

    @Test("a keyring that cannot hash (glib missing) leaves the key to OpenSSL: auto still caches in files")
    func keyringDigestFailure() async throws {
        let directory = TemporaryDirectory()
        let keyring = FakeKeyring(available: .unavailable(reason: "glib cannot be loaded"), digestFails: true)
        let fetcher = Fetcher(now: now)
        let recorder = LogRecorder()
        _ = try await request(cache(keyring), cacheEnvironment(directory, mode: "auto"), fetcher: fetcher)
        _ = try await request(
            cache(keyring), cacheEnvironment(directory, mode: "auto"), fetcher: fetcher, recorder: recorder)
        #expect(fetcher.fetches == 1 && keyring.digests == 2)
        #expect(recorder.debugText.contains("cache: hit (file)"))
        #expect(onlyEntry(directory) != nil)
    }

    @Test("a plan of static keys alone is not cached and writes nothing")
    func staticAlone() async throws {
        let directory = TemporaryDirectory()
        let keyring = FakeKeyring()
        let fetcher = Fetcher(now: now)
        var local = FakeSource()
        local.readsLocally = true
        let cache = SessionCache(keyring: { keyring })
        let alone = bound(Plan(profile: "base", source: SourceStep(plugin: local, profile: Profile(name: "base"))))
        _ = try await request(cache, cacheEnvironment(directory, mode: "auto"), fetcher: fetcher, plan: alone)
        _ = try await request(cache, cacheEnvironment(directory, mode: "auto"), fetcher: fetcher, plan: alone)
        #expect(fetcher.fetches == 2)
        #expect(!exists(directory.cacheDirectory) && keyring.calls.isEmpty)
    }

    @Test("an MFA code on the command line fetches a new session, which replaces the cached one")
    func tokenCode() async throws {
        let directory = TemporaryDirectory()
        let environment = cacheEnvironment(directory)
        let fetcher = Fetcher(now: now)
        _ = try await request(cache(), environment, fetcher: fetcher)
        let fresh = try await request(cache(), environment, fetcher: fetcher, tokenCode: "123456")
        let after = try await request(cache(), environment, fetcher: fetcher)
        #expect(fetcher.fetches == 2 && fresh == after)
    }

    @Test("a fetch names its entry in the environment it runs with; a run started inside it for the same entry fails at once")
    func recursionGuard() async throws {
        let directory = TemporaryDirectory()
        let environment = cacheEnvironment(directory)
        var seen: String?
        _ = try await cache().credentials(for: plan(), context: context(LogRecorder(), environment: environment, now: now)) { inner in
            seen = inner.environment[SessionCache.fetchingVariable]
            return Fetcher(now: now).fetch()
        }
        let digest = try #require(seen)
        #expect(digest.utf8.count == 64)
        // The same entry, from a run that a fetch of it started: no lock wait, no fetch.
        let nested = environment.merging([SessionCache.fetchingVariable: "0000,\(digest)"]) { $1 }
        let fetcher = Fetcher(now: now)
        await #expect(throws: CacheError.recursion) {
            _ = try await request(cache(), nested, fetcher: fetcher, at: now.addingTimeInterval(3600))
        }
        #expect(fetcher.fetches == 0)
    }

    @Test("a failed fetch stores nothing and releases the lock for the next caller")
    func failedFetch() async throws {
        struct Boom: Error {}
        let directory = TemporaryDirectory()
        let environment = cacheEnvironment(directory)
        await #expect(throws: Boom.self) {
            try await cache().credentials(for: plan(), context: context(LogRecorder(), environment: environment, now: now)) { _ in
                throw Boom()
            }
        }
        #expect(onlyEntry(directory) == nil)
        let fetcher = Fetcher(now: now)
        _ = try await request(cache(), environment, fetcher: fetcher)
        #expect(fetcher.fetches == 1)
    }

    // MARK: static stability

    /// A failure of a refresh as the plugins report them.
    struct RefreshFailure: ElevateFailure, Equatable {
        var category = FailureCategory.credentials
        var isDenial = false
        var problem = "hop 1 (arn:aws:iam::123456789012:role/target): sts Throttling: Rate exceeded (after 4 attempts)"
        var remedy = "STS is throttling requests: wait a little and try again"
    }

    /// Stores a one-hour session at `now` in the file backend; returns it and the entry file's bytes.
    func cachedSession(_ directory: TemporaryDirectory, mode: String = "file", keyring: FakeKeyring = FakeKeyring())
        async throws -> (Credentials, [UInt8])
    {
        let served = try await request(cache(keyring), cacheEnvironment(directory, mode: mode), fetcher: Fetcher(now: now))
        return (served, onlyEntry(directory).map(readBytes) ?? [])
    }

    func failingRequest(
        _ directory: TemporaryDirectory, _ failure: any Error, after minutes: Double, mode: String = "file",
        keyring: FakeKeyring = FakeKeyring(), recorder: LogRecorder, tokenCode: String? = nil
    ) async throws -> Credentials {
        try await cache(keyring).credentials(
            for: plan(),
            context: context(
                recorder, environment: cacheEnvironment(directory, mode: mode),
                now: now.addingTimeInterval(minutes * 60), tokenCode: tokenCode)
        ) { _ in throw failure }
    }

    @Test("a refresh that fails, but not by a denial, serves the still valid cached session with one warning and stores nothing")
    func staleServedWhenRefreshFails() async throws {
        let directory = TemporaryDirectory()
        let (cached, bytes) = try await cachedSession(directory)
        let recorder = LogRecorder()
        // 50 minutes on, 10 minutes are left: inside the 15-minute margin, so due for refresh.
        let served = try await failingRequest(directory, RefreshFailure(), after: 50, recorder: recorder)
        #expect(served == cached)
        #expect(recorder.warnings == [
            "profile 'app-chain': hop 1 (arn:aws:iam::123456789012:role/target): sts Throttling: Rate exceeded (after 4 "
                + "attempts) — serving the cached session, 10 minutes left; the next call tries again"
        ])
        #expect(!recorder.lines.map(\.message).joined().contains(secretKey))
        #expect(onlyEntry(directory).map(readBytes) == bytes, "nothing was stored")
        // The next call tries again, and a refresh that works replaces the entry.
        let later = now.addingTimeInterval(51 * 60)
        let fetcher = Fetcher(now: later)
        let refreshed = try await request(cache(), cacheEnvironment(directory), fetcher: fetcher, at: later)
        #expect(fetcher.fetches == 1 && refreshed != cached)
        #expect(try await request(cache(), cacheEnvironment(directory), fetcher: fetcher, at: later) == refreshed)
    }

    @Test("a failed refresh serves the cached session up to its last minute", arguments: [(59.5, "less than a minute left"), (58.5, "1 minute left")])
    func staleServedToTheLastMinute(minutes: Double, left: String) async throws {
        let directory = TemporaryDirectory()
        let (cached, _) = try await cachedSession(directory)
        let recorder = LogRecorder()
        #expect(try await failingRequest(directory, RefreshFailure(), after: minutes, recorder: recorder) == cached)
        #expect(recorder.warnings.count == 1 && recorder.warnings[0].contains("serving the cached session, \(left);"))
    }

    /// Failed refreshes that must not be hidden, and when (minutes after the fetch of a one-hour session).
    static let refusedRefreshes: [(any Error, Double)] = [
        (RefreshFailure(isDenial: true, problem: "sts AccessDenied: not authorized"), 50),
        (CoreError.expired(plugin: "process", profile: "base", at: "2030-03-17T18:00:00Z"), 50),
        (CoreError.sourceDidNotApply(plugin: "env", profile: "base"), 50),
        (RefreshFailure(category: .configuration), 50),
        (CacheError.recursion, 50),
        (CancellationError(), 50),
        (RefreshFailure(), 60),
        (RefreshFailure(), 61),
    ]

    @Test("a denial, a configuration error, an error of unknown kind or an expired session make a failed refresh fail",
          arguments: refusedRefreshes)
    func failedRefreshFails(failure: any Error, minutes: Double) async throws {
        let directory = TemporaryDirectory()
        let (_, bytes) = try await cachedSession(directory)
        let recorder = LogRecorder()
        await #expect(throws: (any Error).self) {
            try await failingRequest(directory, failure, after: minutes, recorder: recorder)
        }
        #expect(recorder.warnings.isEmpty)
        #expect(onlyEntry(directory).map(readBytes) == bytes)
    }

    @Test("with an MFA code on the command line, which asks for a new session, a failed refresh fails")
    func failedRefreshWithTokenCodeFails() async throws {
        let directory = TemporaryDirectory()
        _ = try await cachedSession(directory)
        await #expect(throws: RefreshFailure.self) {
            try await failingRequest(directory, RefreshFailure(), after: 50, recorder: LogRecorder(), tokenCode: "123456")
        }
    }

    @Test("a failed refresh serves the keyring's cached session too, in keyring and auto modes", arguments: ["keyring", "auto"])
    func staleServedFromTheKeyring(mode: String) async throws {
        let directory = TemporaryDirectory()
        let keyring = FakeKeyring()
        let (cached, _) = try await cachedSession(directory, mode: mode, keyring: keyring)
        #expect(keyring.items.count == 1)
        let recorder = LogRecorder()
        let served = try await failingRequest(
            directory, RefreshFailure(), after: 50, mode: mode, keyring: keyring, recorder: recorder)
        #expect(served == cached && recorder.warnings.count == 1)
        #expect(keyring.calls.filter { $0 == "store" }.count == 1, "nothing was stored")
    }

    /// The lock files in `path`.
    func lockFiles(in path: String) -> [String] {
        guard let stream = opendir(path) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let item = readdir(stream) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".lock") { names.append(name) }
        }
        return names
    }

    /// The path of the one entry file, if any.
    func onlyEntry(_ directory: TemporaryDirectory) -> String? {
        guard let stream = opendir(directory.cacheDirectory) else { return nil }
        defer { closedir(stream) }
        while let item = readdir(stream) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".session") { return directory.cacheDirectory + "/" + name }
        }
        return nil
    }
}
