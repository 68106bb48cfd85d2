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
import ElevateCrypto
import ElevateKeyring
import InMemoryLogging
import Logging
import Synchronization

/// A private temporary directory, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/elevate-cache-test.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        _ = run("chattr -i -R '\(path)' 2>/dev/null; rm -rf '\(path)'")
    }

    var cacheDirectory: String { path + "/cache/aws-elevate" }
    var keyPath: String { path + "/config/aws-elevate/cache.key" }

    func backend() -> FileBackend { FileBackend(directory: cacheDirectory, keyPath: keyPath) }
}

/// Runs a shell command; its exit status.
@discardableResult
func run(_ command: String) -> Int32 {
    system(command)
}

func mode(of path: String) -> UInt32? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o7777
}

func exists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}

func readBytes(_ path: String) -> [UInt8] {
    guard let file = fopen(path, "rb") else { return [] }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count == 0 { break }
        bytes += buffer.prefix(count)
    }
    return bytes
}

func writeBytes(_ path: String, _ bytes: [UInt8]) {
    let file = fopen(path, "wb")!
    _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    fclose(file)
}

/// Log lines captured by a test, at debug level.
final class LogRecorder: Sendable {
    private let handler = InMemoryLogHandler()

    var lines: [(level: Logger.Level, message: String)] { handler.entries.map { ($0.level, "\($0.message)") } }
    var warnings: [String] { lines.filter { $0.level == .warning }.map(\.message) }
    var debugText: String { lines.map(\.message).joined(separator: "\n") }

    var logger: Logger {
        Logger(label: "test") { [handler] _ in
            var debug = handler
            debug.logLevel = .debug
            return debug
        }
    }
}

/// A source whose identity is its `parts`; it is never run by these tests.
struct FakeSource: SourcePlugin {
    var name = "fake-source"
    var summary = "test source"
    var parts: [String: String]? = ["access_key_id": "AKIAFAKESOURCE000001"]
    var readsLocally = false

    func credentials(for step: Step, settings: Void, context: RunContext) async throws -> Credentials? { nil }

    func cacheIdentity(for step: Step, settings: Void, context: RunContext) -> [String: String]? {
        // The step's profile may override the parts, so that one source serves several plans.
        step.profile.values.isEmpty ? parts : step.profile.values
    }
}

/// A hop whose identity is its profile's values.
struct FakeHop: ElevationPlugin {
    var name = "fake-hop"
    var summary = "test hop"

    func elevate(_ input: Credentials, step: Step, settings: Void, hop: Int, context: RunContext) async throws
        -> Credentials
    {
        input
    }

    func cacheIdentity(for step: Step, settings: Void, context: RunContext) -> [String: String]? {
        step.profile.values
    }
}

/// A plugin that declares no identity (the protocol's default).
struct OpaqueHop: ElevationPlugin {
    var name = "opaque-hop"
    var summary = "test hop without identity"

    func elevate(_ input: Credentials, step: Step, settings: Void, hop: Int, context: RunContext) async throws
        -> Credentials
    {
        input
    }
}

let roleArn = "arn:aws:iam::123456789012:role/target"

/// A plan of `source` and one fake hop, as the resolver would make it.
func unboundPlan(
    profile: String = "app-chain", role: String = roleArn, settings: [String: String] = [:],
    source: FakeSource = FakeSource()
) -> Plan {
    var values = ["role_arn": role]
    values.merge(settings) { $1 }
    return Plan(
        profile: profile, source: SourceStep(plugin: source, profile: Profile(name: "base")),
        hops: [HopStep(plugin: FakeHop(), profile: Profile(name: profile, values: values))])
}

/// The same plan, bound as the pipeline binds it (the fakes have no settings that can fail).
func plan(
    profile: String = "app-chain", role: String = roleArn, settings: [String: String] = [:],
    source: FakeSource = FakeSource()
) -> BoundPlan {
    bound(unboundPlan(profile: profile, role: role, settings: settings, source: source))
}

func bound(_ plan: Plan) -> BoundPlan {
    try! plan.bind(context: RunContext(environment: [:], logger: Logger(label: "test")))
}

let secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY1"
let sessionToken = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN+/=abc"

/// A session fetched at `now` that expires `lifetime` seconds later.
func session(now: Date, lifetime: TimeInterval = 3600, keyId: String = "ASIAFETCHEDSESSION01") -> Credentials {
    Credentials(
        accessKeyId: keyId, secretAccessKey: secretKey, sessionToken: sessionToken,
        expiration: now.addingTimeInterval(lifetime), principalArn: "arn:aws:sts::123456789012:assumed-role/target/s",
        origin: .role, machine: MachineFacts(instanceId: "i-0123456789abcdef0", region: "eu-west-1"))
}

func entry(key: CacheKey, now: Date, lifetime: TimeInterval = 3600, profile: String = "app-chain") -> CacheEntry {
    CacheEntry(
        key: key.name, profile: profile, role: roleArn, credentials: session(now: now, lifetime: lifetime),
        fetchedAt: now)
}

/// Counts fetches and hands out sessions.
final class Fetcher: Sendable {
    private let count = Mutex(0)
    let now: Date
    let lifetime: TimeInterval

    init(now: Date, lifetime: TimeInterval = 3600) {
        self.now = now
        self.lifetime = lifetime
    }

    var fetches: Int { count.withLock { $0 } }

    func fetch() -> Credentials {
        let number = count.withLock { value in
            value += 1
            return value
        }
        return session(now: now, lifetime: lifetime, keyId: "ASIAFETCHNUMBER\(number)")
    }
}

/// A keyring stand-in that records every call.
final class FakeKeyring: KeyringStore, Sendable {
    private let state = Mutex<(calls: [String], items: [String: ([String: String], [UInt8])])>(([], [:]))
    private let digestCount = Mutex(0)
    let available: KeyringState
    let mayBeReachable: Bool
    /// Whether its SHA-256 fails, as the real one does when glib cannot be loaded.
    let digestFails: Bool
    /// Whether lookups and stores fail (as they do when a Secret Service hangs after answering availability).
    let lookupFails: Bool
    let storeFails: Bool

    init(
        available: KeyringState = .available, mayBeReachable: Bool = true, digestFails: Bool = false,
        lookupFails: Bool = false, storeFails: Bool = false
    ) {
        self.available = available
        self.mayBeReachable = mayBeReachable
        self.digestFails = digestFails
        self.lookupFails = lookupFails
        self.storeFails = storeFails
    }

    /// How many cache keys it hashed.
    var digests: Int { digestCount.withLock { $0 } }

    func sha256(_ bytes: [UInt8]) throws -> [UInt8] {
        digestCount.withLock { $0 += 1 }
        if digestFails { throw KeyringError.unavailable(reason: "glib cannot be loaded") }
        return try ElevateCrypto.sha256(bytes)
    }

    var calls: [String] { state.withLock { $0.calls } }
    var items: [String: ([String: String], [UInt8])] { state.withLock { $0.items } }

    private func record(_ call: String) { state.withLock { $0.calls.append(call) } }

    func availability() -> KeyringState {
        record("availability")
        return available
    }

    func lookup(key: String) throws -> [UInt8]? {
        record("lookup")
        if lookupFails { throw KeyringError.timedOut }
        return state.withLock { $0.items[key]?.1 }
    }

    func store(key: String, label: String, attributes: [String: String], secret: [UInt8]) throws {
        record("store")
        if storeFails { throw KeyringError.failed(message: "org.freedesktop.DBus.Error.Failed: refused") }
        var all = attributes
        all["key"] = key
        state.withLock { $0.items[key] = (all, secret) }
    }

    func remove(key: String) throws {
        record("remove")
        _ = state.withLock { $0.items.removeValue(forKey: key) }
    }

    func list() throws -> [[String: String]] {
        record("list")
        return state.withLock { $0.items.values.map(\.0) }
    }
}

func context(
    _ recorder: LogRecorder, environment: [String: String], now: Date, tokenCode: String? = nil
) -> RunContext {
    RunContext(environment: environment, logger: recorder.logger, now: { now }, tokenCode: tokenCode)
}

/// The environment pointing the cache at `directory`.
func cacheEnvironment(_ directory: TemporaryDirectory, mode: String = "file", extra: [String: String] = [:])
    -> [String: String]
{
    var environment = [
        "HOME": directory.path + "/home",
        "AWS_ELEVATE_CACHE": mode,
        "AWS_ELEVATE_CACHE_DIR": directory.cacheDirectory,
        "XDG_CONFIG_HOME": directory.path + "/config",
    ]
    environment.merge(extra) { $1 }
    return environment
}
