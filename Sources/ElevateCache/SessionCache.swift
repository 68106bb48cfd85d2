#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ElevateCore
import ElevateCrypto
import Logging

/// The session cache as one decorator around running a whole plan (source and hops).
///
/// A fresh entry is served without any network request. Otherwise the per-entry lock is taken, the entry read
/// again (another process may have fetched it meanwhile), and only then is the plan run and its result stored, so
/// that parallel cold callers cause one fetch. A cache that cannot be written serves the fetched session uncached
/// with one warning; insecure cache files stop the run (``CacheError``). In `auto`, a keyring that said it can serve
/// but then fails a lookup or a store is replaced by the file backend for that run.
///
/// Static stability: when the refresh of a cached session fails for a reason that is not a denial
/// (``ElevateFailure/isDenial``: the network, throttling, a server error, a service that is down) and the cached
/// session is still valid, it is served with one warning naming the failure and the minutes left; nothing is stored,
/// so the next call tries again. A denial, a configuration error or an expired session still fails.
///
/// An MFA code given on the command line asks for a new session: the lookup is skipped, and the new session replaces
/// the cached one.
public struct SessionCache: Sendable {
    /// Makes the keyring client; called only when the keyring may be used, so that libsecret stays unloaded
    /// otherwise.
    public typealias KeyringFactory = @Sendable () -> any KeyringStore

    public var keyring: KeyringFactory
    /// How long to wait for another process fetching the same session before fetching too.
    public var lockTimeout: Duration

    public init(keyring: @escaping KeyringFactory, lockTimeout: Duration = .seconds(120)) {
        self.keyring = keyring
        self.lockTimeout = lockTimeout
    }

    /// The credentials at the end of `plan`: from the cache when a fresh session is there, else from `fetch` (which
    /// runs the same bound plan), stored for the next caller.
    ///
    /// `fetch` runs the plan with the context it is given: while a cached session is fetched, its environment names
    /// the entry in ``fetchingVariable``, so that a credential_process of the plan that runs aws-elevate for the
    /// same entry again fails at once (``CacheError/recursion``) instead of waiting for its own caller's lock.
    public func credentials(
        for plan: BoundPlan,
        context: RunContext,
        fetch runPlan: (RunContext) async throws -> Credentials
    ) async throws -> Credentials {
        let log = context.logger
        func fetch() async throws -> Credentials { try await runPlan(context) }
        let requested = plan.plan.lastProfile
        let settings = try CacheSettings(environment: context.environment, profile: requested)
        if settings.mode == .none {
            log.debug("cache: off (\(settings.modeSource)=none)")
            return try await fetch()
        }
        let (keyringStore, derivation) = derive(plan: plan, context: context, settings: settings)
        let key: CacheKey
        let role: String
        switch derivation {
        case .notCached(let reason):
            log.debug("cache: not used: \(reason)")
            return try await fetch()
        case .cached(let derived, let derivedRole):
            key = derived
            role = derivedRole
        }
        let fetching = context.environment[Self.fetchingVariable].map { value in
            value.utf8.split(separator: UInt8(ascii: ",")).map { String(decoding: $0, as: UTF8.self) }
        } ?? []
        if fetching.contains(where: { $0.utf8.elementsEqual(key.digest.utf8) }) { throw CacheError.recursion }
        // Only a fetch pays for the copy of the environment.
        func fetchThis() async throws -> Credentials {
            var marked = context
            marked.environment[Self.fetchingVariable] = join(fetching + [key.digest], separator: ",")
            return try await runPlan(marked)
        }
        return try await credentials(
            key: key, role: role, plan: plan, settings: settings, keyringStore: keyringStore, context: context,
            fetch: fetchThis)
    }

    /// The keyring client when the mode may use it, and the plan's cache key.
    ///
    /// The key is hashed by the library that the backend likely to serve loads anyway: GLib when the keyring may be
    /// asked (the keyring mode, or auto with a session bus), OpenSSL otherwise (a file hit decrypts with it), and by
    /// OpenSSL too when GLib cannot be loaded. Both give the same SHA-256, so either finds what the other stored.
    func derive(plan: BoundPlan, context: RunContext, settings: CacheSettings)
        -> (keyring: (any KeyringStore)?, derivation: CacheDerivation)
    {
        let keyringStore: (any KeyringStore)? = settings.mode == .keyring || settings.mode == .auto ? keyring() : nil
        let hashingStore = settings.mode == .keyring || keyringStore?.mayBeReachable == true ? keyringStore : nil
        let derivation = CacheDerivation.derive(plan: plan, context: context) { bytes in
            if let digest = try? hashingStore?.sha256(bytes) { return digest }
            return try ElevateCrypto.sha256(bytes)
        }
        return (keyringStore, derivation)
    }

    /// The cache entries being fetched by the runs that started this one (through a credential_process), by digest.
    public static let fetchingVariable = "AWS_ELEVATE_FETCHING"

    private func credentials(
        key: CacheKey, role: String, plan: BoundPlan, settings: CacheSettings, keyringStore: (any KeyringStore)?,
        context: RunContext, fetch: () async throws -> Credentials
    ) async throws -> Credentials {
        let log = context.logger
        guard let directory = settings.directory, let keyPath = settings.keyPath else {
            log.debug("cache: not used: no home directory is known (HOME is unset)")
            return try await fetch()
        }
        let freshness = Freshness(configured: settings.refreshMargin)
        let file = FileBackend(directory: directory, keyPath: keyPath)
        log.debug("cache: key \(key) for profile '\(plan.profile)', mode \(settings.mode) (\(settings.modeSource))")

        // The keyring mode keeps its locks out of the file backend's directory when the user has a runtime directory.
        let runtime = settings.mode == .keyring ? settings.runtimeDirectory : nil
        let run = CachedRun(
            key: key, profile: plan.profile, role: role, freshness: freshness, context: context, file: file,
            runtimeDirectory: runtime, lockTimeout: lockTimeout)
        if settings.mode == .none { return try await fetch() }
        switch try run.route(mode: settings.mode, modeSource: settings.modeSource, keyring: keyringStore ?? keyring()) {
        case .hit(let entry, let backend, let why):
            log.debug("cache: backend \(backend.name) (\(why))")
            return run.hit(entry, backend: backend)
        case .serve(let backend, let lookup, let fileFallback, let why):
            log.debug("cache: backend \(backend.name) (\(why))")
            return try await run.serve(from: backend, firstLookup: lookup, fileFallback: fileFallback, fetch: fetch)
        case .uncached(let backend, let reason):
            return try await run.serveUncached(backend: backend, reason: reason, fetch: fetch)
        }
    }
}

/// Where one request is served from. Runs and `explain` (``SessionCache/preview(for:context:)``) both take it from
/// ``CachedRun/route(mode:modeSource:keyring:)``, so that explain names the backend a run uses.
enum CacheRoute {
    /// A fresh entry of `backend`, served as it is.
    case hit(CacheEntry, backend: any CacheBackend, why: String)
    /// Served through `backend`, whose first lookup found `lookup`; `fileFallback` (auto, through the keyring) is the
    /// file backend's lookup for when the keyring fails after it said it can serve.
    case serve(backend: any CacheBackend, lookup: CacheLookup, fileFallback: CacheLookup?, why: String)
    /// No backend can serve: the session is fetched and served uncached, for `reason`.
    case uncached(backend: String, reason: String)
}

/// One cached request: look up, lock, look up again, fetch, store.
struct CachedRun {
    let key: CacheKey
    let profile: String
    let role: String
    let freshness: Freshness
    let context: RunContext
    let file: FileBackend
    /// The user's runtime directory, where the lock files go when it exists (the keyring mode); else they are in the
    /// file backend's directory.
    let runtimeDirectory: String?
    let lockTimeout: Duration
    /// The cached session that may stand in for a failed refresh.
    private let standby = Standby()

    var log: Logger { context.logger }

    init(
        key: CacheKey, profile: String, role: String, freshness: Freshness, context: RunContext, file: FileBackend,
        runtimeDirectory: String? = nil, lockTimeout: Duration
    ) {
        self.key = key
        self.profile = profile
        self.role = role
        self.freshness = freshness
        self.context = context
        self.file = file
        self.runtimeDirectory = runtimeDirectory
        self.lockTimeout = lockTimeout
    }

    /// Where the lock files are: decided only when a lock is needed, so that a hit costs no `stat`.
    private var lockPlace: EntryLock.Place {
        if let runtimeDirectory, isExistingDirectory(runtimeDirectory) { return .runtimeDirectory(runtimeDirectory) }
        return .cacheDirectory(file.directory)
    }

    /// Serves from `backend`: a fresh entry, else a fetch under the entry's lock, stored in `backend`.
    ///
    /// `fileFallback` (auto, serving from the keyring) is the file backend's first lookup: when the keyring fails a
    /// lookup or a store after it said it can serve, the run goes on with the file backend instead, so that it is
    /// still cached (and an MFA hop does not prompt on every call).
    func serve(
        from backend: any CacheBackend, firstLookup: CacheLookup?, fileFallback: CacheLookup? = nil,
        fetch: () async throws -> Credentials
    ) async throws -> Credentials {
        let lookup = try firstLookup ?? backend.load(key)
        if context.tokenCode != nil {
            log.debug("cache: an MFA code was given (--token-code): fetching a new session")
        } else if let served = consider(lookup, backend: backend, underLock: false) {
            return served
        }
        if case .unavailable(let reason) = lookup {
            if let fileFallback {
                log.debug("cache: backend file (auto: the \(backend.name) lookup failed: \(reason))")
                return try await serve(from: file, firstLookup: fileFallback, fetch: fetch)
            }
            return try await serveUncached(backend: backend.name, reason: reason, fetch: fetch)
        }

        let lock: EntryLock?
        switch try EntryLock.acquire(key, in: lockPlace, timeout: lockTimeout, onWait: {
            log.debug("cache: waiting for the lock: another aws-elevate process is fetching this session")
        }) {
        case .acquired(let acquired, let waited):
            lock = acquired
            if let waited {
                log.debug("cache: lock acquired after \(milliseconds(waited)) ms")
            }
            // Always read again: another process may have stored the session between the first read and now.
            if context.tokenCode == nil {
                if let served = consider(try backend.load(key), backend: backend, underLock: true) {
                    return served
                }
                // Another process may have fallen back to the file backend meanwhile.
                if fileFallback != nil, let served = consider(try file.load(key), backend: file, underLock: true) {
                    return served
                }
            }
        case .timedOut(let waited):
            log.debug("cache: gave up waiting for the lock after \(milliseconds(waited)) ms; fetching anyway")
            lock = nil
        case .unavailable(let failure):
            guard backend is KeyringBackend else {
                return try await serveUncached(backend: backend.name, reason: failure.description, fetch: fetch)
            }
            log.debug("cache: no lock (\(failure)); fetching without one")
            lock = nil
        }
        defer { lock?.release() }

        let credentials = try await refresh(fetch)
        guard let expiration = credentials.expiration else {
            log.debug("cache: not stored: the credentials do not expire")
            return credentials
        }
        let entry = CacheEntry(
            key: key.name, profile: profile, role: role, credentials: credentials, fetchedAt: context.now())
        guard freshness.isFresh(entry, now: context.now()) else {
            log.debug("cache: not stored: the new session expires \(Timestamp.format(expiration)), already inside the refresh margin")
            return credentials
        }
        if let failure = try store(entry, in: backend, locked: lock != nil) {
            guard fileFallback != nil else {
                warnUncached(backend: backend.name, reason: failure)
                return credentials
            }
            log.debug("cache: backend file (auto: the \(backend.name) store failed: \(failure))")
            if let failure = try store(entry, in: file, locked: lock != nil) {
                warnUncached(backend: file.name, reason: failure)
            }
        }
        return credentials
    }

    /// Stores `entry` in `backend`; why it could not, or `nil` after a debug line.
    private func store(_ entry: CacheEntry, in backend: any CacheBackend, locked: Bool) throws(CacheError) -> String? {
        // Only the holder of the entry's lock may remove temporary files of writers that died.
        if locked, backend is FileBackend { file.removeLeftovers(of: key) }
        if let failure = try backend.store(entry, under: key) { return failure }
        log.debug("cache: stored (\(backend.name)), expires \(Timestamp.format(entry.expiration))")
        return nil
    }

    /// The credentials of a fresh entry; `nil` (after a debug line) when there is none.
    private func consider(_ lookup: CacheLookup, backend: any CacheBackend, underLock: Bool) -> Credentials? {
        standby.offer(lookup)
        switch lookup {
        case .found(let entry):
            if freshness.isFresh(entry, now: context.now()) {
                if underLock { log.debug("cache: another process stored the session meanwhile") }
                return hit(entry, backend: backend)
            }
            let left = freshness.secondsLeft(entry, now: context.now())
            let margin = freshness.effectiveMargin(fetchedAt: entry.fetchedAt, expiration: entry.expiration)
            log.debug("cache: refresh (\(backend.name)): \(formatRemaining(left)) left, refresh margin \(formatRemaining(margin))")
        case .missing:
            if !underLock { log.debug("cache: miss (\(backend.name))") }
        case .discarded(let reason):
            log.debug("cache: entry discarded (\(backend.name)): \(reason)")
        case .unavailable(let reason):
            log.debug("cache: cannot read (\(backend.name)): \(reason)")
        }
        return nil
    }

    /// The backend that serves this request under `mode` (not ``CacheMode/none``), found by lookups only: no fetch,
    /// no store, no lock, nothing created, and the keyring only looked up and asked whether it can serve.
    ///
    /// - auto: a fresh file entry first (without loading libsecret); then the keyring: a lookup never prompts, and
    ///   without a session bus it answers at once, loading nothing, so it comes before the availability check,
    ///   which would cost a second round trip on every hit; the keyring when it can serve, else the files.
    /// - keyring: a fresh keyring entry, else the keyring when it can serve, else uncached.
    /// - file: the files.
    func route(mode: CacheMode, modeSource: String, keyring: @autoclosure () -> any KeyringStore)
        throws(CacheError) -> CacheRoute
    {
        // An entry served as it is: fresh, and no MFA code asks for a new session.
        func fresh(_ lookup: CacheLookup) -> CacheEntry? {
            standby.offer(lookup)
            guard case .found(let entry) = lookup, context.tokenCode == nil, freshness.isFresh(entry, now: context.now())
            else { return nil }
            return entry
        }
        switch mode {
        case .none:
            return .uncached(backend: "none", reason: "the cache is off (\(modeSource)=none)")
        case .file:
            return .serve(backend: file, lookup: try file.load(key), fileFallback: nil, why: "\(modeSource)=file")
        case .keyring:
            let store = KeyringBackend(keyring: keyring())
            let lookup = try store.load(key)
            if let entry = fresh(lookup) { return .hit(entry, backend: store, why: "\(modeSource)=keyring") }
            switch store.keyring.availability() {
            case .available:
                return .serve(backend: store, lookup: lookup, fileFallback: nil, why: "\(modeSource)=keyring")
            case .unavailable(let reason):
                return .uncached(backend: "keyring", reason: "the keyring cannot serve: \(reason)")
            }
        case .auto:
            let fileLookup = try file.load(key)
            if let entry = fresh(fileLookup) {
                return .hit(entry, backend: file, why: "auto: a fresh file entry is served first")
            }
            let store = KeyringBackend(keyring: keyring())
            let lookup = try store.load(key)
            if let entry = fresh(lookup) { return .hit(entry, backend: store, why: "auto: found in the keyring") }
            switch store.keyring.availability() {
            case .available:
                return .serve(
                    backend: store, lookup: lookup, fileFallback: fileLookup, why: "auto: a Secret Service can serve")
            case .unavailable(let reason):
                return .serve(
                    backend: file, lookup: fileLookup, fileFallback: nil, why: "auto: the keyring cannot serve: \(reason)")
            }
        }
    }

    func hit(_ entry: CacheEntry, backend: any CacheBackend) -> Credentials {
        let left = freshness.secondsLeft(entry, now: context.now())
        let margin = freshness.effectiveMargin(fetchedAt: entry.fetchedAt, expiration: entry.expiration)
        log.debug(
            "cache: hit (\(backend.name)): \(entry.credentials), \(formatRemaining(left)) left, refresh margin \(formatRemaining(margin))")
        return entry.credentials
    }

    func serveUncached(backend: String, reason: String, fetch: () async throws -> Credentials) async throws
        -> Credentials
    {
        let credentials = try await refresh(fetch)
        warnUncached(backend: backend, reason: reason)
        return credentials
    }

    /// Runs `fetch`. When it fails for a reason that is not a denial and a cached session of this entry is still
    /// valid, that session is served instead, with one warning; nothing is stored, so the next call tries again.
    /// An MFA code on the command line asks for a new session: then the failure stands.
    private func refresh(_ fetch: () async throws -> Credentials) async throws -> Credentials {
        do {
            return try await fetch()
        } catch {
            guard let failure = error as? any ElevateFailure, failure.category == .credentials, !failure.isDenial,
                  context.tokenCode == nil, let entry = standby.entry
            else { throw error }
            let left = freshness.secondsLeft(entry, now: context.now())
            guard left > 0 else { throw error }
            let warning = "profile '\(profile)': \(failure.problem) — serving the cached session, \(minutesLeft(left)); "
                + "the next call tries again"
            log.warning("\(warning)")
            log.debug("cache: served (\(entry.credentials)) in place of the failed refresh")
            return entry.credentials
        }
    }

    private func warnUncached(backend: String, reason: String) {
        let place = backend == "file" ? "session cache '\(file.directory)'" : "\(backend) session cache"
        log.warning("cannot use the \(place): \(singleLine(reason)); the session is served uncached")
    }
}

/// The session that may stand in for a failed refresh: the latest-expiring entry that a lookup of this run found.
private final class Standby {
    private(set) var entry: CacheEntry?

    func offer(_ lookup: CacheLookup) {
        guard case .found(let found) = lookup else { return }
        if let entry, entry.expiration >= found.expiration { return }
        entry = found
    }
}

/// `9 minutes left`, `1 minute left`, `less than a minute left`.
func minutesLeft(_ seconds: TimeInterval) -> String {
    let minutes = Int(seconds / 60)
    switch minutes {
    case ..<1: return "less than a minute left"
    case 1: return "1 minute left"
    default: return "\(minutes) minutes left"
    }
}

private func milliseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    return seconds * 1000 + attoseconds / 1_000_000_000_000_000
}
