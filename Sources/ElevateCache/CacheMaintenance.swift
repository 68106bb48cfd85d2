import ElevateCore

/// What `aws-elevate cache list` and `cache clear` work on: the file backend (when a home directory is known) and
/// the keyring when the mode allows it and a Secret Service can serve.
public struct CacheMaintenance: Sendable {
    public var settings: CacheSettings
    public var keyring: SessionCache.KeyringFactory

    public init(settings: CacheSettings, keyring: @escaping SessionCache.KeyringFactory) {
        self.settings = settings
        self.keyring = keyring
    }

    /// The backends, and notes on those left out (for `--debug`).
    public func backends() -> (backends: [any CacheBackend], notes: [String]) {
        var backends: [any CacheBackend] = []
        var notes: [String] = []
        if settings.mode != .keyring {
            if let directory = settings.directory, let keyPath = settings.keyPath {
                backends.append(FileBackend(directory: directory, keyPath: keyPath))
            } else {
                notes.append("file: no home directory is known")
            }
        }
        if settings.mode != .file {
            let store = keyring()
            switch store.availability() {
            case .available: backends.append(KeyringBackend(keyring: store))
            case .unavailable(let reason): notes.append("keyring: \(reason)")
            }
        }
        return (backends, notes)
    }
}
