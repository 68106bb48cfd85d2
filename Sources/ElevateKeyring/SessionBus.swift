#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Decides, from the environment and the file system only, whether a D-Bus session bus can be reached, so that
/// a machine without one (headless EC2, containers, cron) never loads libsecret.
enum SessionBus {
    /// Why no session bus can be reached, or nil when one may be.
    ///
    /// GDBus takes `DBUS_SESSION_BUS_ADDRESS`, else `$XDG_RUNTIME_DIR/bus`, else it autolaunches a new bus
    /// through X11 (with `DISPLAY`). A freshly launched bus has no unlocked keyring on it, and starting one is
    /// a side effect, so without the first two there is no bus for us.
    static func unreachableReason() -> String? {
        if let address = variable("DBUS_SESSION_BUS_ADDRESS") {
            let paths = unixPaths(in: address)
            if let paths, !paths.isEmpty, !paths.contains(where: exists) {
                return "the session bus socket named by DBUS_SESSION_BUS_ADDRESS does not exist"
            }
            return nil
        }
        if let runtime = variable("XDG_RUNTIME_DIR"), exists(runtime + "/bus") {
            return nil
        }
        return "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset and there is no $XDG_RUNTIME_DIR/bus)"
    }

    private static func variable(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    /// The socket paths of an address made only of `unix:path=` entries; nil when any entry is of another kind
    /// (abstract sockets, tcp, …), whose reachability only a connection attempt can tell.
    static func unixPaths(in address: String) -> [String]? {
        // Raw bytes outside printable ASCII are not valid in an address (they must be %-escaped); refusing them
        // also keeps the Character-level splitting below byte-exact.
        guard address.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        var paths: [String] = []
        for entry in address.split(separator: ";", omittingEmptySubsequences: true) {
            guard entry.hasPrefix("unix:") else { return nil }
            let keys = entry.dropFirst("unix:".count).split(separator: ",")
            guard let path = keys.first(where: { $0.hasPrefix("path=") }) else { return nil }
            guard let unescaped = unescape(path.dropFirst("path=".count)) else { return nil }
            paths.append(unescaped)
        }
        return paths
    }

    /// D-Bus addresses escape bytes as `%XX`.
    private static func unescape(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        guard !bytes.contains(0) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }
}
