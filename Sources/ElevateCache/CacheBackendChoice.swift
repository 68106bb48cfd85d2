/// Which backends keep the sessions, from the cache settings (the mode, the home directory) and the keyring client:
/// the one place that decides it, for the credential run (``SessionCache``), `cache list` and `cache clear`, and
/// anything that explains the choice.
public enum CacheBackendChoice: Sendable {
    /// Nothing is cached.
    case off
    /// Encrypted files only (mode `file`).
    case file(FileBackend)
    /// The Secret Service keyring only (mode `keyring`).
    case keyring(KeyringBackend)
    /// Mode `auto`: a fresh file entry is served first, without asking the keyring; otherwise the keyring when it
    /// can serve, else the files.
    case auto(file: FileBackend, keyring: KeyringBackend)

    /// What the backends are chosen for.
    public enum Purpose: Sendable {
        /// A credential run: mode `none` caches nothing.
        case run
        /// `cache list` and `cache clear`, which see what any mode may have stored: mode `none` counts as `auto`.
        case maintenance
    }

    /// The backends for `settings`, and those the mode names but that have no place (the file backend when no home
    /// directory is known; the choice goes on without it).
    ///
    /// Nothing is loaded and the keyring is not asked: `keyring` only makes the client, and whether the keyring can
    /// serve is asked when needed (``available()``, or a run after its lookups).
    public static func choose(
        settings: CacheSettings, for purpose: Purpose, keyring: () -> any KeyringStore
    ) -> (choice: CacheBackendChoice, leftOut: [CacheBackendFailure]) {
        let mode = purpose == .maintenance && settings.mode == .none ? .auto : settings.mode
        let file = settings.directory.flatMap { directory in
            settings.keyPath.map { FileBackend(directory: directory, keyPath: $0) }
        }
        switch (mode, file) {
        case (.none, _): return (.off, [])
        case (.file, let file?): return (.file(file), [])
        case (.file, nil): return (.off, [.noHomeDirectory])
        case (.keyring, _): return (.keyring(KeyringBackend(keyring: keyring())), [])
        case (.auto, let file?): return (.auto(file: file, keyring: KeyringBackend(keyring: keyring())), [])
        case (.auto, nil): return (.keyring(KeyringBackend(keyring: keyring())), [.noHomeDirectory])
        }
    }

    /// The chosen backends, files first.
    public var backends: [any CacheBackend] {
        switch self {
        case .off: []
        case .file(let file): [file]
        case .keyring(let keyring): [keyring]
        case .auto(let file, let keyring): [file, keyring]
        }
    }

    /// The chosen backends that can serve now, and why the others cannot. Asks the keyring whether it can serve (a
    /// round trip when a session bus is reachable; it never prompts).
    public func available() -> (backends: [any CacheBackend], unavailable: [CacheBackendFailure]) {
        var available: [any CacheBackend] = []
        var unavailable: [CacheBackendFailure] = []
        for backend in backends {
            if let keyring = backend as? KeyringBackend, let failure = keyring.unavailability() {
                unavailable.append(failure)
            } else {
                available.append(backend)
            }
        }
        return (available, unavailable)
    }
}
