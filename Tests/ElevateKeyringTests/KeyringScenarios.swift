import ElevateKeyring
import Foundation
import Testing

/// The scenarios that `KeyringSessionTests` runs in child processes, one per private session bus (or none).
/// Each reports facts as `name: value` lines; the parent test asserts on them.
enum KeyringScenarios {
    // MARK: Scenarios

    static func noBus(_ report: inout Report) {
        report.add("loaded at start", Keyring.isLibraryLoaded)
        let keyring = Keyring(formatVersion: "1")
        let (availability, milliseconds) = timed { keyring.availability() }
        report.add("availability", availability)
        report.add("availability ms", milliseconds)
        report.add("loaded after availability", Keyring.isLibraryLoaded)
        report.add("lookup", outcome { () throws(KeyringError) in try keyring.lookup(key: "00ff") })
        report.add(
            "store",
            outcome { () throws(KeyringError) in
                try keyring.store(key: "00ff", label: "l", attributes: [:], secret: [1])
            })
        report.add("list", outcome { () throws(KeyringError) in try keyring.list() })
        report.add("loaded after calls", Keyring.isLibraryLoaded)
        // A display does not make GDBus autolaunch a bus for us.
        setenv("DISPLAY", ":99", 1)
        report.add("with display", keyring.availability())
        // An address whose socket is gone.
        setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=\(NSTemporaryDirectory())/elevate-no-such-bus-\(getpid())", 1)
        report.add("stale address", keyring.availability())
        report.add("loaded at end", Keyring.isLibraryLoaded)
    }

    static func roundTrip(_ report: inout Report) {
        report.add("loaded at start", Keyring.isLibraryLoaded)
        let keyring = Keyring(formatVersion: "1")
        report.add("loaded after init", Keyring.isLibraryLoaded)
        report.add("availability", keyring.availability())
        report.add("loaded after availability", Keyring.isLibraryLoaded)

        let key = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        let secret = Array("SECRET-MARKER-1 ".utf8) + [0, 1, 2, 0xFF, 0x0A, 0x0D, 0]
        let attributes = [
            "profile": "dev admin", "role_arn": "arn:aws:iam::123456789012:role/Admin",
            "expires": "2030-01-01T00:00:00Z",
        ]
        report.add(
            "store",
            outcome { () throws(KeyringError) in
                try keyring.store(key: key, label: "aws-elevate: dev admin", attributes: attributes, secret: secret)
            })
        report.add("lookup after store", lookupOutcome(keyring, key, expecting: secret))
        let search = KeyringChild.tool(
            "/usr/bin/dbus-send",
            [
                "--session", "--print-reply", "--dest=org.freedesktop.secrets", "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.SearchItems", "dict:string:string:key,\(key)",
            ])
        report.add("stored in login collection", search.output.contains("/org/freedesktop/secrets/collection/login/"))

        let listed = (try? keyring.list()) ?? []
        report.add("list count", listed.count)
        report.add("list names", listed.first.map { $0.keys.sorted().joined(separator: ",") } ?? "none")
        report.add(
            "list values",
            listed.first.map { item in
                ["key", "version", "profile"].map { item[$0] ?? "-" }.joined(separator: "|")
            } ?? "none")
        report.add("list holds a secret", listed.contains { $0.values.contains { $0.contains("SECRET-MARKER") } })

        let replacement = Array("SECRET-MARKER-2".utf8)
        var later = attributes
        later["expires"] = "2030-01-01T01:00:00Z"
        report.add(
            "store again",
            outcome { () throws(KeyringError) in
                try keyring.store(key: key, label: "aws-elevate: dev admin", attributes: later, secret: replacement)
            })
        report.add("lookup after replace", lookupOutcome(keyring, key, expecting: replacement))
        let afterReplace = (try? keyring.list()) ?? []
        report.add("list after replace", afterReplace.map { $0["expires"] ?? "-" }.joined(separator: ","))

        report.add("remove", outcome { () throws(KeyringError) in try keyring.remove(key: key) })
        report.add("lookup after remove", lookupOutcome(keyring, key, expecting: nil))
        report.add("remove again", outcome { () throws(KeyringError) in try keyring.remove(key: key) })

        report.add(
            "store empty",
            outcome { () throws(KeyringError) in
                try keyring.store(key: "e0", label: "empty", attributes: [:], secret: [])
            })
        report.add("lookup empty", lookupOutcome(keyring, "e0", expecting: []))
        report.add(
            "store other",
            outcome { () throws(KeyringError) in
                try keyring.store(key: "e1", label: "other", attributes: ["profile": "other"], secret: [7])
            })
        report.add(
            "keys before removeAll", ((try? keyring.list()) ?? []).map { $0["key"] ?? "-" }.joined(separator: ","))
        report.add("removeAll", outcome { () throws(KeyringError) in try keyring.removeAll() })
        report.add("list after removeAll", outcome { () throws(KeyringError) in try keyring.list() })
        report.add(
            "unknown attribute",
            outcome { () throws(KeyringError) in
                try keyring.store(key: "e2", label: "x", attributes: ["colour": "red"], secret: [1])
            })
    }

    static func locked(_ report: inout Report) {
        let keyring = Keyring(formatVersion: "1")
        let key = "10c4"
        let secret = Array("SECRET-MARKER-L".utf8)
        report.add(
            "store while unlocked",
            outcome { () throws(KeyringError) in
                try keyring.store(key: key, label: "locked test", attributes: ["profile": "p"], secret: secret)
            })
        let lock = KeyringChild.tool(
            "/usr/bin/dbus-send",
            [
                "--session", "--print-reply", "--dest=org.freedesktop.secrets", "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.Lock", "array:objpath:/org/freedesktop/secrets/collection/login",
            ])
        report.add("locked through D-Bus", lock.status == 0 && lock.output.contains("collection/login"))
        report.add("availability", keyring.availability())
        let (found, milliseconds) = timed { outcome { () throws(KeyringError) in try keyring.lookup(key: key) } }
        report.add("lookup", found)
        report.add("lookup ms", milliseconds)
        report.add(
            "store",
            outcome { () throws(KeyringError) in
                try keyring.store(key: "10c5", label: "x", attributes: [:], secret: [1])
            })
        report.add("remove", outcome { () throws(KeyringError) in try keyring.remove(key: key) })
        report.add("removeAll", outcome { () throws(KeyringError) in try keyring.removeAll() })
        let listed = (try? keyring.list()) ?? []
        report.add("list count", listed.count)
        report.add("list holds a secret", listed.contains { $0.values.contains { $0.contains("SECRET-MARKER") } })
        // The control: a lookup that does try to unlock (secret-tool, through secret_password_lookup) makes
        // gnome-keyring ask the bus for its prompter, which the bus logs. The parent checks that our calls
        // above caused no such request and that this one does, so the check can tell.
        FileHandle.standardError.write(Data("@@control\n".utf8))
        let control = KeyringChild.tool("/usr/bin/timeout", ["10", "/usr/bin/secret-tool", "lookup", "key", key])
        report.add("control lookup found the secret", control.output.contains("SECRET-MARKER"))
    }

    static func noKeyring(_ report: inout Report) {
        let keyring = Keyring(formatVersion: "1")
        report.add("availability", keyring.availability())
        report.add(
            "store",
            outcome { () throws(KeyringError) in
                try keyring.store(key: "ab", label: "x", attributes: [:], secret: [1])
            })
        report.add("lookup", outcome { () throws(KeyringError) in try keyring.lookup(key: "ab") })
        report.add("list", outcome { () throws(KeyringError) in try keyring.list() })
        let alias = KeyringChild.tool(
            "/usr/bin/dbus-send",
            [
                "--session", "--print-reply", "--dest=org.freedesktop.secrets", "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.ReadAlias", "string:default",
            ])
        report.add("default alias after", alias.output.contains("object path \"/\"") ? "none" : alias.output)
        let home = ProcessInfo.processInfo.environment["KEYRING_SESSION_HOME"] ?? "/nonexistent"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: home + "/.local/share/keyrings")) ?? []
        let keyrings = files.filter { $0.hasSuffix(".keyring") }.sorted()
        report.add("keyring files after", keyrings.isEmpty ? "none" : keyrings.joined(separator: ","))
    }

    static func noService(_ report: inout Report) {
        let keyring = Keyring(formatVersion: "1")
        let (availability, milliseconds) = timed { keyring.availability() }
        report.add("availability", availability)
        report.add("availability ms", milliseconds)
        report.add("lookup", outcome { () throws(KeyringError) in try keyring.lookup(key: "ab") })
        report.add(
            "store",
            outcome { () throws(KeyringError) in
                try keyring.store(key: "ab", label: "x", attributes: [:], secret: [1])
            })
        report.add("secrets owner after", busHasSecretService())
        // The control: a plain libsecret client (secret-tool) gets the daemon started by D-Bus activation, so
        // the check above can tell.
        _ = KeyringChild.tool("/usr/bin/timeout", ["10", "/usr/bin/secret-tool", "search", "key", "ab"])
        report.add("secrets owner after secret-tool", busHasSecretService())
    }

    static func hung(_ report: inout Report) {
        let keyring = Keyring(timeout: .milliseconds(500), formatVersion: "1")
        var (text, milliseconds) = timed { "\(keyring.availability())" }
        report.add("availability", text)
        report.add("availability ms", milliseconds)
        (text, milliseconds) = timed { outcome { () throws(KeyringError) in try keyring.lookup(key: "ab") } }
        report.add("lookup", text)
        report.add("lookup ms", milliseconds)
        (text, milliseconds) = timed {
            outcome { () throws(KeyringError) in try keyring.store(key: "ab", label: "x", attributes: [:], secret: [1])
            }
        }
        report.add("store", text)
        report.add("store ms", milliseconds)
        (text, milliseconds) = timed { outcome { () throws(KeyringError) in try keyring.list() } }
        report.add("list", text)
        report.add("list ms", milliseconds)
        (text, milliseconds) = timed { outcome { () throws(KeyringError) in try keyring.removeAll() } }
        report.add("removeAll", text)
        report.add("removeAll ms", milliseconds)
        let defaultTimeout = Keyring(formatVersion: "1")
        (text, milliseconds) = timed { outcome { () throws(KeyringError) in try defaultTimeout.lookup(key: "ab") } }
        report.add("default timeout lookup", text)
        report.add("default timeout lookup ms", milliseconds)
    }

    // MARK: Helpers

    private static func busHasSecretService() -> Bool {
        let reply = KeyringChild.tool(
            "/usr/bin/dbus-send",
            [
                "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets",
            ])
        return reply.output.contains("boolean true")
    }

    private static func lookupOutcome(_ keyring: Keyring, _ key: String, expecting expected: [UInt8]?) -> String {
        do {
            guard let found = try keyring.lookup(key: key) else { return "nil" }
            return found == expected ? "hit, equal, \(found.count) bytes" : "hit, different, \(found.count) bytes"
        } catch {
            return "error \(error)"
        }
    }

    private static func outcome<Value>(_ body: () throws(KeyringError) -> Value) -> String {
        do {
            let value = try body()
            if let list = value as? [[String: String]] {
                return "\(list.count) items"
            }
            if let bytes = value as? [UInt8]? {
                return bytes.map { "\($0.count) bytes" } ?? "nil"
            }
            return "ok"
        } catch {
            return "\(error)"
        }
    }

    private static func timed<Value>(_ body: () -> Value) -> (Value, Int) {
        let start = ContinuousClock.now
        let value = body()
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        return (value, Int(seconds) * 1_000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

/// Facts as `name: value` lines.
struct Report {
    private(set) var lines: [String] = []

    mutating func add(_ name: String, _ value: some CustomStringConvertible) {
        lines.append("\(name): \(value)")
    }
}
