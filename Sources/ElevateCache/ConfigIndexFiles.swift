#if canImport(Glibc)
import Glibc
#endif
import ElevateCrypto

/// The records of where a large config file's sections are (`ElevateConfig`'s `ConfigIndexStore`), kept in the
/// file backend's directory as `config-index-<16 hex digits>` with its checks: a private directory of the user,
/// private regular files, never a symbolic link. They hold offsets and hashes of section names, no secret; the
/// file backend leaves them alone, and `cache clear` removes them in every mode (``removeAll()``). Any failure
/// only means that the next run scans the file again.
public struct ConfigIndexFiles: Sendable {
    static let prefix = "config-index-"

    enum Kind: Equatable {
        /// `config-index-<16 hex digits>`.
        case record
        /// `config-index-<16 hex digits>.tmp-<pid>-<16 hex digits>`: a record being written, or left by a writer
        /// that died.
        case temporary
    }

    /// What `name` is, matched byte for byte; `nil` for any other name, which is never touched.
    static func kind(of name: String) -> Kind? {
        var name = NameReader(name)
        guard name.take(prefix), name.takeDigits(isLowercaseHex, count: 16...16) != nil else { return nil }
        if name.isAtEnd { return .record }
        guard name.take(FileBackend.temporaryInfix), name.takeDigits(isDecimal, count: 1...10) != nil, name.take("-"),
              name.takeDigits(isLowercaseHex, count: 16...16) != nil, name.isAtEnd
        else { return nil }
        return .temporary
    }

    /// The cache directory (``CacheSettings/directory``).
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The record `name`, if it is one of these records' names and can be read as a private file.
    public func load(_ name: String, limit: Int) -> [UInt8]? {
        guard Self.kind(of: name) == .record,
              case .opened(let folder)? = try? PrivateDirectory.open(directory, create: false),
              case .bytes(let bytes)? = try? folder.read(name, limit: limit)
        else { return nil }
        return bytes
    }

    /// Replaces the record `name` whole, making the directory (0700) when it is missing.
    public func store(_ name: String, _ bytes: [UInt8]) {
        guard Self.kind(of: name) == .record,
              case .opened(let folder)? = try? PrivateDirectory.open(directory, create: true)
        else { return }
        // Unique enough with the exclusive create behind it; a clash only skips this write. No random bytes: they
        // would load libcrypto for a record.
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let stamp = (UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)).bigEndian
        let temporary = name + FileBackend.temporaryInfix + "\(getpid())-" + lowercaseHex(withUnsafeBytes(of: stamp, Array.init))
        // No fsync: a record lost or cut short by a crash fails its length check, and the next run scans again.
        _ = folder.writeAtomically(name, bytes, temporaryName: temporary, durable: false)
    }

    /// Removes every record and every temporary file of one, refusing (as clearing the file backend does) a cache
    /// directory that is a symbolic link; how many files went. `cache clear` calls it in every mode.
    public func removeAll() throws(CacheError) -> Int {
        guard case .opened(let folder) = try PrivateDirectory.open(directory, create: false, followingLink: false)
        else { return 0 }
        var removed = 0
        for name in (try? folder.names()) ?? [] {
            if Self.kind(of: name) != nil, folder.remove(name) { removed += 1 }
        }
        return removed
    }

    /// Removes the record `name`.
    public func remove(_ name: String) {
        guard Self.kind(of: name) == .record,
              case .opened(let folder)? = try? PrivateDirectory.open(directory, create: false)
        else { return }
        folder.remove(name)
    }
}
