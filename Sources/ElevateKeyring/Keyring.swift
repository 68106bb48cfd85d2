import CSecret

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The Secret Service keyring (gnome-keyring, KeePassXC, …) through libsecret, which is loaded on the first
/// call that needs it: creating a `Keyring`, and asking ``availability()`` on a machine without a session bus,
/// never map it.
///
/// Items use the schema ``schemaName`` with the attributes ``attributeNames``. The keyring sets two of them
/// itself: `key` (the cache key) and `version` (``formatVersion``, how the secret is stored: as raw bytes).
///
/// Nothing here prompts, unlocks, creates a collection or starts a keyring daemon (D-Bus activation): a locked
/// or missing default collection makes the keyring unavailable instead, and the caller falls back to another
/// cache.
///
/// **Timeout.** Every call (``availability()`` included) runs its blocking libsecret work on a thread of its
/// own and waits at most ``timeout``. When that passes, the call gives up (``KeyringError/timedOut``, or
/// `.unavailable` from ``availability()``), cancels the libsecret call and abandons the thread, which ends
/// whenever libsecret returns (D-Bus gives up after 25 s); the process may exit before that. A hung daemon
/// therefore costs at most ``timeout`` per call and never hangs the AWS SDK that runs us.
public struct Keyring: Sendable {
    /// The schema name of our items.
    public static var schemaName: String {
        String(cString: csecret_schema_name())
    }

    /// The attribute names the schema allows; libsecret refuses others.
    public static let attributeNames: [String] = {
        var names: [String] = []
        let list = csecret_schema_attribute_names()
        var index = 0
        while let name = list[index] {
            names.append(String(cString: name))
            index += 1
        }
        return names
    }()

    /// The attributes the keyring sets itself: callers cannot pass them in `attributes`.
    public static let reservedAttributeNames: Set<String> = ["key", "version"]

    /// The value of the `version` attribute written by ``store(key:label:attributes:secret:)``; lookups match
    /// only items of this version.
    public static let formatVersion = "1"

    /// Whether libsecret is mapped into this process, read from `/proc/self/maps`.
    public static var isLibraryLoaded: Bool {
        csecret_library_is_mapped() != 0
    }

    /// The hard bound on every call (at least 1 ms, at most a day).
    public let timeout: Duration

    /// Creates a keyring handle. It holds no connection and loads nothing; every call connects anew (libsecret
    /// shares one bus connection per process).
    ///
    /// - Parameter timeout: the hard bound on every call, 2 s by default: a local keyring answers in
    ///   milliseconds, so this only ever cuts off a hung daemon.
    public init(timeout: Duration = .seconds(2)) {
        self.timeout = DeadlineThread.clamp(timeout)
    }

    /// Whether the keyring can serve now: a session bus, a Secret Service on it, and an unlocked default
    /// collection. Fast (no library loaded) when there is no session bus; never prompts, never creates a
    /// collection, never starts a daemon.
    public func availability() -> KeyringAvailability {
        switch state() {
        case .unlocked: .available
        case .locked: .unavailable(reason: "the default collection is locked")
        case .unreachable(let reason): .unavailable(reason: reason)
        }
    }

    /// ``availability()`` with a locked default collection told apart from a keyring that cannot be reached, for
    /// `aws-elevate doctor`. The same single call: never prompts, never creates a collection, never starts a daemon.
    public func state() -> KeyringCollectionState {
        do throws(KeyringError) {
            try run { cancellable, error in csecret_default_collection_state(cancellable, &error) }
            return .unlocked
        } catch {
            switch error {
            case .locked:
                return .locked
            case .timedOut:
                return .unreachable(reason: "the Secret Service did not answer within \(timeoutText)")
            case let .unavailable(reason), let .failed(reason):
                return .unreachable(reason: reason)
            }
        }
    }

    /// The SHA-256 digest of `bytes`, computed by GLib (`GChecksum`), which every keyring call loads anyway: a
    /// caller bound for the keyring needs no second library for one digest. Loads glib alone; needs no bus.
    ///
    /// - Throws: ``KeyringError/unavailable(reason:)`` when glib cannot be loaded.
    public static func sha256(_ bytes: [UInt8]) throws(KeyringError) -> [UInt8] {
        if let reason = csecret_load_glib() {
            throw .unavailable(reason: "glib cannot be loaded: \(String(cString: reason))")
        }
        var digest = [UInt8](repeating: 0, count: 32)
        let succeeded: Bool
        if bytes.isEmpty {
            var placeholder: UInt8 = 0
            succeeded = csecret_sha256(&placeholder, 0, &digest) == 1
        } else {
            succeeded = bytes.withUnsafeBufferPointer { csecret_sha256($0.baseAddress!, $0.count, &digest) } == 1
        }
        guard succeeded else { throw .failed(message: "g_checksum (SHA-256) failed") }
        return digest
    }

    /// Whether a session bus may be reachable, decided from the environment and one `stat`, loading nothing: when
    /// it is false, every call answers ``KeyringError/unavailable(reason:)`` at once.
    public static var sessionBusMayBeReachable: Bool { SessionBus.unreachableReason() == nil }

    /// The secret stored under `key`, or nil when there is none, or when only a locked item has it (its
    /// secret is not read and nothing prompts).
    public func lookup(key: String) throws(KeyringError) -> [UInt8]? {
        try Self.validate(key: key)
        do throws(KeyringError) {
            return try run { cancellable, error -> (csecret_status, [UInt8]?) in
                var secret: UnsafeMutablePointer<UInt8>?
                var length = 0
                let status = Self.withCAttributes([("key", key), ("version", Self.formatVersion)]) { pointer, count in
                    csecret_lookup(pointer, count, &secret, &length, cancellable, &error)
                }
                defer { csecret_free_secret(secret, length) }
                guard status == CSECRET_OK, let secret else { return (status, nil) }
                return (status, Array(UnsafeBufferPointer(start: secret, count: length)))
            }
        } catch .locked {
            return nil
        }
    }

    /// Stores `secret` under `key` in the default collection, replacing what `key` held.
    ///
    /// The default collection (alias "default") must exist and be unlocked: a locked one is refused with
    /// ``KeyringError/locked`` before anything is written, and none is ever created.
    ///
    /// - Parameters:
    ///   - key: the cache key (a hex digest); stored as the `key` attribute.
    ///   - label: the item's label, shown by keyring managers (`seahorse`); never put a secret in it.
    ///   - attributes: more attributes (`profile`, `role_arn`, `expires`, …), from ``attributeNames`` minus
    ///     ``reservedAttributeNames``. They are not secret: anyone on the session bus can read them.
    ///   - secret: the bytes to store.
    public func store(key: String, label: String, attributes: [String: String], secret: [UInt8]) throws(KeyringError) {
        try Self.validate(key: key)
        try Self.validate(text: label, what: "the label")
        for (name, value) in attributes {
            guard !Self.reservedAttributeNames.contains(name) else {
                throw .failed(message: "attribute '\(name)' is set by the keyring itself")
            }
            guard Self.attributeNames.contains(name) else {
                throw .failed(message: "attribute '\(name)' is not in the schema")
            }
            try Self.validate(text: value, what: "the value of attribute '\(name)'")
        }
        let all = [("key", key), ("version", Self.formatVersion)] + attributes.sorted { $0.key < $1.key }
        try run { cancellable, error in
            Self.withCAttributes(all) { pointer, count in
                secret.withUnsafeBufferPointer { bytes in
                    csecret_store(pointer, count, label, bytes.baseAddress, bytes.count, cancellable, &error)
                }
            }
        }
    }

    /// Removes the item stored under `key`, if any. Throws ``KeyringError/locked`` when it sits in a locked
    /// collection (and stays there).
    public func remove(key: String) throws(KeyringError) {
        try Self.validate(key: key)
        try clear([("key", key)])
    }

    /// The attributes of all our items, locked ones included, sorted by `key`; never a secret. For
    /// `aws-elevate cache list`.
    public func list() throws(KeyringError) -> [[String: String]] {
        try run { cancellable, error -> (csecret_status, [[String: String]]?) in
            var items: UnsafeMutablePointer<csecret_item_list>?
            let status = csecret_search(nil, 0, &items, cancellable, &error)
            defer { csecret_free_items(items) }
            guard status == CSECRET_OK, let list = items?.pointee else { return (status, nil) }
            var result: [[String: String]] = []
            for index in 0..<list.count {
                guard let set = list.items?[index], let names = set.names, let values = set.values else { continue }
                var attributes: [String: String] = [:]
                for entry in 0..<set.count {
                    attributes[String(cString: names[entry])] = String(cString: values[entry])
                }
                // libsecret's own attribute naming the schema.
                attributes["xdg:schema"] = nil
                result.append(attributes)
            }
            return (status, result.sorted { ($0["key"] ?? "") < ($1["key"] ?? "") })
        } ?? []
    }

    /// Removes all our items. Throws ``KeyringError/locked`` when some sit in a locked collection (the
    /// unlocked ones are removed all the same).
    public func removeAll() throws(KeyringError) {
        try clear([])
    }

    // MARK: - Internals

    private func clear(_ attributes: [(String, String)]) throws(KeyringError) {
        try run { cancellable, error in
            Self.withCAttributes(attributes) { pointer, count in
                var removed = 0
                return csecret_clear(pointer, count, &removed, cancellable, &error)
            }
        }
    }

    private var timeoutText: String {
        let (seconds, attoseconds) = timeout.components
        let milliseconds = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        return milliseconds % 1_000 == 0 ? "\(milliseconds / 1_000) s" : "\(milliseconds) ms"
    }

    /// Runs one csecret call that returns only a status.
    private func run(
        _ call: @escaping @Sendable (OpaquePointer?, inout UnsafeMutablePointer<CChar>?) -> csecret_status
    ) throws(KeyringError) {
        let _: Bool? = try run { cancellable, error in
            let status = call(cancellable, &error)
            return (status, status == CSECRET_OK ? true : nil)
        }
    }

    /// The common path of every call: no bus → unavailable without loading libsecret; load it; run `call` on a
    /// thread of its own under the timeout; turn its status and message into a value or a ``KeyringError``.
    /// `call` returns its status and, on success, its value.
    private func run<Value: Sendable>(
        _ call: @escaping @Sendable (OpaquePointer?, inout UnsafeMutablePointer<CChar>?) -> (csecret_status, Value?)
    ) throws(KeyringError) -> Value? {
        if let reason = SessionBus.unreachableReason() {
            throw .unavailable(reason: reason)
        }
        if let reason = csecret_load() {
            throw .unavailable(reason: "the keyring libraries cannot be loaded: \(String(cString: reason))")
        }
        guard let cancellable = Cancellable() else {
            throw .unavailable(reason: "libsecret cannot be loaded")
        }
        let outcome = DeadlineThread.run(timeout: timeout, onTimeout: { cancellable.cancel() }) {
            () -> Result<Value?, KeyringError> in
            var message: UnsafeMutablePointer<CChar>?
            let (status, value) = call(cancellable.pointer, &message)
            defer { csecret_free_string(message) }
            let text = message.map { String(cString: $0) }
            switch status {
            case CSECRET_OK:
                return .success(value)
            default:
                return .failure(Self.error(for: status, message: text))
            }
        }
        switch outcome {
        case let .finished(result):
            return try result.get()
        case .timedOut:
            throw .timedOut
        case .notStarted:
            throw .failed(message: "cannot start a thread for the keyring call")
        }
    }

    private static func error(for status: csecret_status, message: String?) -> KeyringError {
        switch status {
        case CSECRET_NO_BUS:
            return .unavailable(reason: "cannot connect to the session bus: \(message ?? "unknown error")")
        case CSECRET_NO_SERVICE:
            return .unavailable(reason: message ?? "no Secret Service on the session bus")
        case CSECRET_NO_DEFAULT_COLLECTION:
            return .unavailable(reason: message ?? "the Secret Service has no default collection")
        case CSECRET_LOCKED:
            return .locked
        default:
            return .failed(message: message ?? "libsecret failed (status \(status.rawValue))")
        }
    }

    private static func validate(key: String) throws(KeyringError) {
        guard !key.isEmpty else { throw .failed(message: "the key is empty") }
        try validate(text: key, what: "the key")
    }

    /// C strings end at the first NUL: refuse one inside rather than store a shorter string.
    private static func validate(text: String, what: String) throws(KeyringError) {
        guard !text.utf8.contains(0) else { throw .failed(message: "\(what) contains a NUL character") }
    }

    /// Calls `body` with the attributes as a C array of C strings, which live until `body` returns.
    private static func withCAttributes(
        _ attributes: [(String, String)],
        _ body: (UnsafePointer<csecret_attribute>?, Int) -> csecret_status
    ) -> csecret_status {
        var strings: [UnsafeMutablePointer<CChar>] = []
        defer { strings.forEach { free($0) } }
        var array: [csecret_attribute] = []
        for (name, value) in attributes {
            guard let cName = strdup(name) else { return CSECRET_FAILED }
            strings.append(cName)
            guard let cValue = strdup(value) else { return CSECRET_FAILED }
            strings.append(cValue)
            array.append(csecret_attribute(name: cName, value: cValue))
        }
        return array.withUnsafeBufferPointer { body($0.baseAddress, $0.count) }
    }
}

/// A GCancellable shared by the waiting caller (which cancels it on timeout) and the worker thread (which
/// passes it to libsecret); freed when both are done with it.
private final class Cancellable: @unchecked Sendable {
    let pointer: OpaquePointer

    init?() {
        guard let pointer = csecret_cancellable_new() else { return nil }
        self.pointer = pointer
    }

    func cancel() {
        csecret_cancellable_cancel(pointer)
    }

    deinit {
        csecret_cancellable_free(pointer)
    }
}
