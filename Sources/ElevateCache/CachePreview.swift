#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import ElevateCore

/// What the session cache would do for a plan, found by reading only: no fetch, no store, no lock, nothing created,
/// no keyring prompt. For `aws-elevate explain`.
public struct CachePreview: Sendable {
    /// The backend a run would serve from, and why; the same decisions in the same order as
    /// ``SessionCache/credentials(for:context:fetch:)``.
    public enum Backend: Sendable, Equatable {
        /// No backend: the run fetches and serves uncached, for `reason`.
        case none(reason: String)
        case file(why: String)
        case keyring(why: String)
    }

    /// The cache settings of the plan's requested profile.
    public var settings: CacheSettings
    /// The plan's cache key, or why it is not cached.
    public var derivation: CacheDerivation
    public var backend: Backend
    /// The path of the entry file when the file backend would serve.
    public var filePath: String?
    /// The session the serving backend holds under the key, fresh or not.
    public var entry: CacheEntry?
    /// Whether a run now would serve ``entry`` without a request.
    public var isFresh: Bool
    /// Seconds left of ``entry`` below which a run refreshes it.
    public var refreshMargin: TimeInterval?
    /// What the lookups found that a run would pass over (a discarded or unreadable entry), for the reader.
    public var notes: [String]

    /// A preview given directly (tests, embedding).
    public init(
        settings: CacheSettings, derivation: CacheDerivation, backend: Backend, filePath: String?, entry: CacheEntry?,
        isFresh: Bool, refreshMargin: TimeInterval?, notes: [String]
    ) {
        self.settings = settings
        self.derivation = derivation
        self.backend = backend
        self.filePath = filePath
        self.entry = entry
        self.isFresh = isFresh
        self.refreshMargin = refreshMargin
        self.notes = notes
    }
}

extension SessionCache {
    /// What ``credentials(for:context:fetch:)`` would do for `plan` now, read without side effects: the same
    /// settings, the same key (hashed as the run hashes it), the same choice of backend. The keyring is asked only
    /// what a run asks first (a lookup, then whether it can serve), which never prompts or starts a service.
    ///
    /// Throws what a run would throw before fetching: an invalid cache setting, insecure cache files.
    public func preview(for plan: BoundPlan, context: RunContext) throws(CacheError) -> CachePreview {
        let settings = try CacheSettings(environment: context.environment, profile: plan.plan.lastProfile)
        var preview = CachePreview(
            settings: settings, derivation: .notCached(reason: "the cache is off (\(settings.modeSource)=none)"),
            backend: .none(reason: "the cache is off (\(settings.modeSource)=none)"), filePath: nil, entry: nil,
            isFresh: false, refreshMargin: nil, notes: [])
        if settings.mode == .none { return preview }
        let (keyringStore, derivation) = derive(plan: plan, context: context, settings: settings)
        preview.derivation = derivation
        guard case .cached(let key, _) = derivation else {
            if case .notCached(let reason) = derivation { preview.backend = .none(reason: reason) }
            return preview
        }
        guard let directory = settings.directory, let keyPath = settings.keyPath else {
            preview.backend = .none(reason: "no home directory is known (HOME is unset)")
            return preview
        }
        let freshness = Freshness(configured: settings.refreshMargin)
        let file = FileBackend(directory: directory, keyPath: keyPath)
        let run = CachedRun(
            key: key, profile: plan.profile, role: "", freshness: freshness, context: context, file: file,
            lockTimeout: lockTimeout)
        let entry: CacheEntry?
        switch try run.route(mode: settings.mode, modeSource: settings.modeSource, keyring: keyringStore ?? keyring()) {
        case .hit(let found, let backend, let why):
            preview.backend = backend is FileBackend ? .file(why: why) : .keyring(why: why)
            entry = found
        case .serve(let backend, let lookup, _, let why):
            preview.backend = backend is FileBackend ? .file(why: why) : .keyring(why: why)
            switch lookup {
            case .found(let found): entry = found
            case .missing: entry = nil
            case .discarded(let reason):
                entry = nil
                preview.notes.append("\(backend.name): the entry is passed over: \(reason)")
            case .unavailable(let reason):
                entry = nil
                preview.notes.append("\(backend.name): cannot be read: \(reason)")
            }
        case .uncached(_, let reason):
            preview.backend = .none(reason: reason)
            entry = nil
        }
        if case .file = preview.backend { preview.filePath = file.path(for: key) }
        preview.entry = entry
        preview.isFresh = entry.map { context.tokenCode == nil && freshness.isFresh($0, now: context.now()) } ?? false
        preview.refreshMargin = entry.map {
            freshness.effectiveMargin(fetchedAt: $0.fetchedAt, expiration: $0.expiration)
        }
        return preview
    }
}
