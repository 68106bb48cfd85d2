@testable import ElevateKeyring
import Testing

/// What needs no bus: argument checks (made before any bus is asked, so these never load libsecret), the
/// schema, the session-bus address parsing, the messages.
@Suite("Keyring without a bus")
struct KeyringTests {
    @Test("the schema names the attributes the cache uses")
    func schema() {
        #expect(Keyring.schemaName == "io.github.aws-elevate.Session")
        for name in ["key", "version", "profile", "role_arn", "expires"] {
            #expect(Keyring.attributeNames.contains(name), "\(name)")
        }
        #expect(Keyring.reservedAttributeNames == ["key", "version"])
        #expect(Keyring(formatVersion: "7").formatVersion == "7", "the caller's format version")
    }

    @Test("the default timeout is 2 s, and timeouts are clamped")
    func timeout() {
        #expect(Keyring(formatVersion: "1").timeout == .seconds(2))
        #expect(Keyring(timeout: .zero, formatVersion: "1").timeout == .milliseconds(1))
    }

    @Test("reserved, unknown and NUL-holding arguments are refused before the bus is asked")
    func invalidArguments() {
        let keyring = Keyring(formatVersion: "1")
        #expect(throws: KeyringError.failed(message: "attribute 'key' is set by the keyring itself")) {
            try keyring.store(key: "ab", label: "l", attributes: ["key": "other"], secret: [1])
        }
        #expect(throws: KeyringError.failed(message: "attribute 'version' is set by the keyring itself")) {
            try keyring.store(key: "ab", label: "l", attributes: ["version": "2"], secret: [1])
        }
        #expect(throws: KeyringError.failed(message: "attribute 'colour' is not in the schema")) {
            try keyring.store(key: "ab", label: "l", attributes: ["colour": "red"], secret: [1])
        }
        #expect(throws: KeyringError.failed(message: "the key is empty")) {
            try keyring.lookup(key: "")
        }
        #expect(throws: KeyringError.failed(message: "the key contains a NUL character")) {
            try keyring.remove(key: "a\0b")
        }
        #expect(throws: KeyringError.failed(message: "the label contains a NUL character")) {
            try keyring.store(key: "ab", label: "a\0b", attributes: [:], secret: [1])
        }
        #expect(throws: KeyringError.failed(message: "the value of attribute 'profile' contains a NUL character")) {
            try keyring.store(key: "ab", label: "l", attributes: ["profile": "a\0b"], secret: [1])
        }
    }

    @Test("session bus addresses: unix paths are checked, other transports are left to GDBus")
    func busAddresses() {
        #expect(SessionBus.unixPaths(in: "unix:path=/run/user/1000/bus") == ["/run/user/1000/bus"])
        #expect(SessionBus.unixPaths(in: "unix:path=/tmp/a%20b,guid=0123;unix:path=/c") == ["/tmp/a b", "/c"])
        #expect(SessionBus.unixPaths(in: "unix:abstract=/tmp/dbus-x,guid=0123") == nil)
        #expect(SessionBus.unixPaths(in: "unix:path=/a;tcp:host=localhost,port=1") == nil)
        #expect(SessionBus.unixPaths(in: "unix:path=/a%2") == nil)
        #expect(SessionBus.unixPaths(in: "unix:path=/a%00b") == nil)
    }

    @Test("messages are lowercase and hold no secret")
    func messages() {
        #expect("\(KeyringError.unavailable(reason: "no bus"))" == "the keyring is unavailable: no bus")
        #expect("\(KeyringError.locked)" == "the keyring is locked")
        #expect("\(KeyringError.timedOut)" == "the keyring did not answer in time")
        #expect("\(KeyringError.failed(message: "boom"))" == "keyring error: boom")
        #expect("\(KeyringAvailability.available)" == "available")
        #expect("\(KeyringAvailability.unavailable(reason: "locked"))" == "unavailable: locked")
        #expect(KeyringAvailability.available.isAvailable)
        #expect(!KeyringAvailability.unavailable(reason: "x").isAvailable)
    }
}
