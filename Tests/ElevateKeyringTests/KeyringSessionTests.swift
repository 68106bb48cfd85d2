import Foundation
import Testing

/// The keyring against real buses: each test runs one scenario of `KeyringScenarios` in a child copy of this
/// test binary (see `KeyringChild`), inside a private `dbus-run-session` prepared by `Tests/support/keyring_session.sh` (a real
/// gnome-keyring-daemon, none, or a fake that hangs), and asserts on the facts it reports.
///
/// In the `unlocked` session, `gnome-keyring-daemon --unlock` reads a password on stdin and, HOME being fresh,
/// creates the "login" collection with it, unlocked, as the target of the alias "default". Without `--unlock`
/// (the `nokeyring` session) the daemon has no collection but "session" and no default alias.
@Suite("Keyring against real session buses, in child processes")
struct KeyringSessionTests {
    @Test("no session bus at all: unavailable at once, and libsecret is never loaded")
    func noSessionBus() throws {
        let runtime = FileManager.default.temporaryDirectory.appendingPathComponent(
            "elevate-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: runtime, withIntermediateDirectories: false,
            attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: runtime) }
        guard
            let child = try KeyringChild.run(
                KeyringScenarios.noBus, session: nil,
                environment: [
                    "DBUS_SESSION_BUS_ADDRESS": nil, "DISPLAY": nil, "WAYLAND_DISPLAY": nil,
                    "XDG_RUNTIME_DIR": runtime.path,
                ])
        else { return }
        #expect(child.status == 0, "\(child.output)")
        let noBus = "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset and there is no $XDG_RUNTIME_DIR/bus)"
        #expect(child.fact("loaded at start") == "false")
        #expect(child.fact("availability") == "unavailable: \(noBus)")
        #expect((child.milliseconds("availability ms") ?? .infinity) < 50, "\(child.report)")
        #expect(child.fact("loaded after availability") == "false")
        #expect(child.fact("lookup") == "the keyring is unavailable: \(noBus)")
        #expect(child.fact("store") == "the keyring is unavailable: \(noBus)")
        #expect(child.fact("list") == "the keyring is unavailable: \(noBus)")
        #expect(child.fact("loaded after calls") == "false")
        #expect(child.fact("with display") == "unavailable: \(noBus)")
        #expect(
            child.fact("stale address")
                == "unavailable: the session bus socket named by DBUS_SESSION_BUS_ADDRESS does not exist")
        #expect(child.fact("loaded at end") == "false", "\(child.report)")
    }

    @Test("unlocked keyring: store, lookup hit, replace, remove, lookup nil, list without secrets, removeAll")
    func roundTrip() throws {
        guard let child = try KeyringChild.run(KeyringScenarios.roundTrip, session: "unlocked") else { return }
        #expect(child.status == 0, "\(child.output)")
        #expect(
            child.report == [
                "loaded at start: false",
                "loaded after init: false",
                "availability: available",
                "loaded after availability: true",
                "store: ok",
                "lookup after store: hit, equal, 23 bytes",
                "stored in login collection: true",
                "list count: 1",
                "list names: expires,key,profile,role_arn,version",
                "list values: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08|1|dev admin",
                "list holds a secret: false",
                "store again: ok",
                "lookup after replace: hit, equal, 15 bytes",
                "list after replace: 2030-01-01T01:00:00Z",
                "remove: ok",
                "lookup after remove: nil",
                "remove again: ok",
                "store empty: ok",
                "lookup empty: hit, equal, 0 bytes",
                "store other: ok",
                "keys before removeAll: e0,e1",
                "removeAll: ok",
                "list after removeAll: 0 items",
                "unknown attribute: keyring error: attribute 'colour' is not in the schema",
            ], "\(child.output)")
    }

    @Test("locked default collection: unavailable, lookup nil at once, writes refused, and nothing prompts")
    func lockedKeyring() throws {
        guard let child = try KeyringChild.run(KeyringScenarios.locked, session: "unlocked") else { return }
        #expect(child.status == 0, "\(child.output)")
        #expect(child.fact("store while unlocked") == "ok")
        #expect(child.fact("locked through D-Bus") == "true")
        #expect(child.fact("availability") == "unavailable: the default collection is locked")
        #expect(child.fact("lookup") == "nil")
        #expect((child.milliseconds("lookup ms") ?? .infinity) < 1_000, "\(child.report)")
        #expect(child.fact("store") == "the keyring is locked")
        #expect(child.fact("remove") == "the keyring is locked")
        #expect(child.fact("removeAll") == "the keyring is locked")
        #expect(child.fact("list count") == "1")
        #expect(child.fact("list holds a secret") == "false")
        // gnome-keyring asks the bus for its prompter when a client wants an unlock; the bus logs that.
        let parts = child.output.components(separatedBy: "@@control")
        #expect(parts.count == 2, "\(child.output)")
        #expect(!parts[0].contains("Prompter"), "our calls asked for a prompt: \(parts[0])")
        #expect(
            parts.count == 2 && parts[1].contains("org.gnome.keyring.SystemPrompter"),
            "the control lookup should have asked for a prompt: \(child.output)")
    }

    @Test("keyring daemon without a default collection: unavailable, and none gets created")
    func noDefaultCollection() throws {
        guard let child = try KeyringChild.run(KeyringScenarios.noKeyring, session: "nokeyring") else { return }
        #expect(child.status == 0, "\(child.output)")
        #expect(
            child.report == [
                "availability: unavailable: the Secret Service has no default collection",
                "store: the keyring is unavailable: the Secret Service has no default collection",
                "lookup: nil",
                "list: 0 items",
                "default alias after: none",
                "keyring files after: none",
            ], "\(child.output)")
    }

    @Test("session bus without a Secret Service: unavailable, and no daemon gets activated")
    func noSecretService() throws {
        guard let child = try KeyringChild.run(KeyringScenarios.noService, session: "noservice") else { return }
        #expect(child.status == 0, "\(child.output)")
        let reason = "no Secret Service (org.freedesktop.secrets) on the session bus"
        #expect(child.fact("availability") == "unavailable: \(reason)")
        #expect((child.milliseconds("availability ms") ?? .infinity) < 500, "\(child.report)")
        #expect(child.fact("lookup") == "the keyring is unavailable: \(reason)")
        #expect(child.fact("store") == "the keyring is unavailable: \(reason)")
        #expect(child.fact("secrets owner after") == "false")
        #expect(child.fact("secrets owner after secret-tool") == "true", "the control should activate a daemon")
    }

    @Test("hung Secret Service: every call gives up at its timeout, and the process still exits promptly")
    func hungService() throws {
        guard let child = try KeyringChild.run(KeyringScenarios.hung, session: "hung") else { return }
        #expect(child.status == 0, "\(child.output)")
        #expect(child.fact("availability") == "unavailable: the Secret Service did not answer within 500 ms")
        for call in ["lookup", "store", "list", "removeAll"] {
            #expect(child.fact(call) == "the keyring did not answer in time", "\(call): \(child.report)")
        }
        for call in ["availability", "lookup", "store", "list", "removeAll"] {
            let milliseconds = child.milliseconds("\(call) ms") ?? .infinity
            #expect(milliseconds >= 490 && milliseconds < 2_000, "\(call) took \(milliseconds) ms")
        }
        #expect(child.fact("default timeout lookup") == "the keyring did not answer in time")
        let defaultMilliseconds = child.milliseconds("default timeout lookup ms") ?? .infinity
        #expect(defaultMilliseconds >= 1_990 && defaultMilliseconds < 4_000, "took \(defaultMilliseconds) ms")
        // libsecret's own D-Bus timeout is 25 s: abandoned calls must not hold the process until then.
        #expect(child.seconds < 20, "the child took \(child.seconds) s")
    }
}
