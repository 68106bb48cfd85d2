#if canImport(Glibc)
import Glibc
#endif
import ElevateCrypto

/// The records of where a large config file's sections are (`ElevateConfig`'s `ConfigIndexStore`), kept in the
/// file backend's directory as `config-index-<16 hex digits>` with its checks: a private directory of the user,
/// private regular files, never a symbolic link. They hold offsets and hashes of section names, no secret, and
/// `cache clear` removes them. Any failure only means that the next run scans the file again.
public struct ConfigIndexFiles: Sendable {
    static let prefix = "config-index-"

    /// The cache directory (``CacheSettings/directory``).
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The record `name`, if it is one of these records' names and can be read as a private file.
    public func load(_ name: String, limit: Int) -> [UInt8]? {
        guard FileBackend.kind(of: name) == .configIndex,
              case .opened(let folder)? = try? PrivateDirectory.open(directory, create: false),
              case .bytes(let bytes)? = try? folder.read(name, limit: limit)
        else { return nil }
        return bytes
    }

    /// Replaces the record `name` whole, making the directory (0700) when it is missing.
    public func store(_ name: String, _ bytes: [UInt8]) {
        guard FileBackend.kind(of: name) == .configIndex,
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
    /// directory that is a symbolic link; how many files went. For `cache clear` when the file backend is not
    /// cleared (`AWS_ELEVATE_CACHE=keyring`): the records are in its directory all the same.
    public func removeAll() throws(CacheError) -> Int {
        guard case .opened(let folder) = try PrivateDirectory.open(directory, create: false, followingLink: false)
        else { return 0 }
        var removed = 0
        for name in (try? folder.names()) ?? [] {
            switch FileBackend.kind(of: name) {
            case .configIndex?, .configIndexTemporary?: if folder.remove(name) { removed += 1 }
            default: continue
            }
        }
        return removed
    }

    /// Removes the record `name`.
    public func remove(_ name: String) {
        guard FileBackend.kind(of: name) == .configIndex,
              case .opened(let folder)? = try? PrivateDirectory.open(directory, create: false)
        else { return }
        folder.remove(name)
    }
}
