#if canImport(Glibc)
import Glibc
#endif
import ElevateCrypto

/// The file backend's encryption key: 32 random bytes in a 0600 file of a 0700 directory, made on first use.
///
/// Never derived from a passphrase or anything fixed: whoever can read this file can read the cache, and nobody
/// else can, not even with a copy of the cache.
enum KeyFile {
    static let keyByteCount = AES256GCM.keyByteCount

    enum Loading {
        case key([UInt8])
        case missing
        case unusable(SystemError)
    }

    /// The key at `path`, without creating anything.
    static func load(_ path: String) throws(CacheError) -> Loading {
        let (directoryPath, name) = split(path)
        switch try PrivateDirectory.open(directoryPath, create: false) {
        case .missing: return .missing
        case .unusable(let failure): return .unusable(failure)
        case .opened(let directory): return try read(name, in: directory)
        }
    }

    /// The key at `path`, made first if there is none. When several processes make it at once, one key wins and
    /// all of them use it: each writes its own temporary file and `link`s it into place, which fails if it exists.
    static func loadOrCreate(_ path: String) throws(CacheError) -> Loading {
        let (directoryPath, name) = split(path)
        let directory: PrivateDirectory
        switch try PrivateDirectory.open(directoryPath, create: true) {
        case .missing: return .unusable(SystemError("open '\(directoryPath)'", code: ENOENT))
        case .unusable(let failure): return .unusable(failure)
        case .opened(let opened): directory = opened
        }
        let existing = try read(name, in: directory)
        guard case .missing = existing else { return existing }

        let key: [UInt8]
        let suffix: [UInt8]
        do {
            key = try randomBytes(count: keyByteCount)
            suffix = try randomBytes(count: 8)
        } catch {
            return .unusable(SystemError("random key", code: EIO))
        }
        let temporary = ".\(name).new-\(getpid())-\(lowercaseHex(suffix))"
        let fd = openat(directory.fd, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return .unusable(SystemError("create '\(directory.child(temporary))'")) }
        let written = key.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        var failure: SystemError?
        if written != key.count {
            failure = SystemError("write '\(directory.child(temporary))'", code: written < 0 ? errno : EIO)
        } else if fsync(fd) != 0 {
            failure = SystemError("fsync '\(directory.child(temporary))'")
        }
        close(fd)
        if failure == nil && linkat(directory.fd, temporary, directory.fd, name, 0) != 0 && errno != EEXIST {
            failure = SystemError("link '\(directory.child(name))'")
        }
        unlinkat(directory.fd, temporary, 0)
        if let failure { return .unusable(failure) }
        fsync(directory.fd)
        // Read back: another process's key may have been linked first.
        let result = try read(name, in: directory)
        if case .missing = result { return .unusable(SystemError("open '\(directory.child(name))'", code: ENOENT)) }
        return result
    }

    private static func read(_ name: String, in directory: PrivateDirectory) throws(CacheError) -> Loading {
        switch try directory.read(name, limit: keyByteCount) {
        case .bytes(let bytes) where bytes.count == keyByteCount: return .key(bytes)
        case .bytes, .tooLarge: throw .invalidKeyFile(path: directory.child(name))
        case .missing: return .missing
        case .symbolicLink: throw .notARegularFile(path: directory.child(name))
        case .failed(let failure): return .unusable(failure)
        }
    }

    private static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}
