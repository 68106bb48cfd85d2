/// Why a keyring call did not complete. Messages come from the Secret Service or libsecret (GError messages
/// name D-Bus objects and methods) or from this module; none ever holds a secret.
public enum KeyringError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No keyring can serve: no session bus, no Secret Service on it, no default collection, or libsecret
    /// cannot be loaded. Use another cache backend.
    case unavailable(reason: String)
    /// The collection that holds (or would hold) the item is locked. Nothing prompts to unlock it.
    case locked
    /// The call did not finish within the keyring's timeout. Its thread is abandoned (see ``Keyring``).
    case timedOut
    /// The Secret Service or libsecret reported an error, or the arguments were rejected.
    case failed(message: String)

    public var description: String {
        switch self {
        case let .unavailable(reason):
            return "the keyring is unavailable: \(reason)"
        case .locked:
            return "the keyring is locked"
        case .timedOut:
            return "the keyring did not answer in time"
        case let .failed(message):
            return "keyring error: \(message)"
        }
    }
}

/// Whether the keyring can serve this process now, from ``Keyring/availability()``.
public enum KeyringAvailability: Equatable, Sendable, CustomStringConvertible {
    /// A Secret Service answers and its default collection exists and is unlocked.
    case available
    /// The keyring cannot serve; `reason` says why, in words fit for a log line.
    case unavailable(reason: String)

    /// True for ``available``.
    public var isAvailable: Bool {
        self == .available
    }

    public var description: String {
        switch self {
        case .available:
            return "available"
        case let .unavailable(reason):
            return "unavailable: \(reason)"
        }
    }
}

/// What ``Keyring/state()`` found.
public enum KeyringCollectionState: Equatable, Sendable {
    /// A Secret Service answers, and its default collection exists and is unlocked.
    case unlocked
    /// A Secret Service answers, and its default collection is locked.
    case locked
    /// No Secret Service can be reached, or it has no default collection; `reason` says why.
    case unreachable(reason: String)
}
