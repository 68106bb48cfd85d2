#if canImport(Glibc)
import Glibc
#endif
import ElevateCore

/// An `errno` value with its text, for debug lines and warnings.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: Int32
    /// What was being done, and on what: `open '/path'`, `rename to '/path'`, ….
    public let operation: String

    init(_ operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
    }

    public var description: String { "\(operation): \(String(cString: strerror(code)))" }
}

/// An open file descriptor, closed when the last reference goes away.
final class Descriptor {
    let fd: Int32

    init(_ fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    func status() throws(SystemError) -> stat {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemError("fstat") }
        return info
    }
}

/// Whether the file mode is a directory, a regular file.
func isDirectory(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFDIR }
func isRegularFile(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFREG }

/// Whether `path` names a directory (following a symbolic link).
func isExistingDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && isDirectory(info)
}

/// Cache files and directories must belong to the effective user and be closed to group and others.
func checkPrivate(_ info: stat, path: String) throws(CacheError) {
    let directory = isDirectory(info)
    guard info.st_uid == geteuid() else {
        throw .foreignOwner(path: path, owner: info.st_uid, expected: geteuid(), isDirectory: directory)
    }
    guard info.st_mode & 0o077 == 0 else {
        throw .insecurePermissions(path: path, mode: info.st_mode, isDirectory: directory)
    }
}

/// A private directory of the cache, opened once so that every file in it is reached relative to it.
struct PrivateDirectory {
    let path: String
    let descriptor: Descriptor

    var fd: Int32 { descriptor.fd }

    enum Opening {
        case opened(PrivateDirectory)
        /// It does not exist (and was not to be created).
        case missing
        /// It cannot be opened or created: the reason, for the warning.
        case unusable(SystemError)
    }

    /// Opens `path`, creating it and its missing parents with mode 0700 when `create` is set, and checks that it
    /// belongs to the user and is private. A symbolic link to a directory is followed, and the check applies to its
    /// target, unless `followingLink` is false: then a link is refused
    /// (``CacheError/symbolicLink(path:isLockDirectory:)``).
    static func open(
        _ path: String, create: Bool, followingLink: Bool = true, isLockDirectory: Bool = false
    ) throws(CacheError) -> Opening {
        let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (followingLink ? 0 : O_NOFOLLOW)
        var fd = Glibc.open(path, flags)
        if fd < 0 && errno == ENOENT {
            guard create else { return .missing }
            if let failure = makeDirectories(path) { return .unusable(failure) }
            fd = Glibc.open(path, flags)
        }
        guard fd >= 0 else {
            let failure = SystemError("open '\(path)'")
            var info = stat()
            if !followingLink, lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
                throw .symbolicLink(path: path, isLockDirectory: isLockDirectory)
            }
            return .unusable(failure)
        }
        let descriptor = Descriptor(fd)
        let info: stat
        do { info = try descriptor.status() } catch { return .unusable(error) }
        try checkPrivate(info, path: path)
        return .opened(PrivateDirectory(path: path, descriptor: descriptor))
    }

    /// `aws-elevate` in the user's runtime directory `runtime` (`$XDG_RUNTIME_DIR`, which must exist), made 0700 if
    /// missing; like the cache directory it must belong to the user and be private, and it is never a symbolic link.
    static func openRuntime(_ runtime: String) throws(CacheError) -> Opening {
        let path = runtime + "/aws-elevate"
        if mkdir(path, 0o700) != 0 && errno != EEXIST { return .unusable(SystemError("mkdir '\(path)'")) }
        return try open(path, create: false, followingLink: false, isLockDirectory: true)
    }

    /// `mkdir -p -m 700`; `nil` on success.
    private static func makeDirectories(_ path: String) -> SystemError? {
        var prefix = ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                return SystemError("mkdir '\(prefix)'")
            }
        }
        return nil
    }

    func child(_ name: String) -> String { path + "/" + name }

    /// The names in the directory.
    func names() throws(SystemError) -> [String] {
        let copy = dup(fd)
        guard copy >= 0 else { throw SystemError("dup") }
        guard let stream = fdopendir(copy) else {
            let failure = SystemError("fdopendir")
            close(copy)
            throw failure
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    enum Reading {
        case bytes([UInt8])
        case missing
        case symbolicLink
        case tooLarge
        case failed(SystemError)
    }

    /// The contents of the regular file `name`, never following a symbolic link and never blocking on a FIFO;
    /// throws when it is not a private regular file.
    func read(_ name: String, limit: Int) throws(CacheError) -> Reading {
        let fd = openat(self.fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        if fd < 0 {
            switch errno {
            case ENOENT: return .missing
            case ELOOP: return .symbolicLink
            default: return .failed(SystemError("open '\(child(name))'"))
            }
        }
        let file = Descriptor(fd)
        let info: stat
        do { info = try file.status() } catch { return .failed(error) }
        guard isRegularFile(info) else { throw .notARegularFile(path: child(name)) }
        try checkPrivate(info, path: child(name))
        guard Int(info.st_size) <= limit else { return .tooLarge }
        switch readAll(fd: fd, sizeHint: Int(info.st_size), limit: limit) {
        case .bytes(let bytes): return .bytes(bytes)
        case .tooLarge: return .tooLarge
        case .failed(let code): return .failed(SystemError("read '\(child(name))'", code: code))
        }
    }

    /// Writes `bytes` to `name` so that readers see the old file or the whole new one, never a part, even if the
    /// process dies: an exclusive 0600 temporary file, `fsync`, `rename`, `fsync` of the directory. Without
    /// `durable`, no `fsync`: after a crash of the machine the file may be missing, empty or cut short.
    func writeAtomically(_ name: String, _ bytes: [UInt8], temporaryName: String, durable: Bool = true) -> SystemError? {
        let fd = openat(self.fd, temporaryName, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return SystemError("create '\(child(temporaryName))'") }
        var failure: SystemError?
        if !writeAll(fd: fd, bytes) {
            failure = SystemError("write '\(child(temporaryName))'")
        } else if durable && fsync(fd) != 0 {
            failure = SystemError("fsync '\(child(temporaryName))'")
        }
        if close(fd) != 0 && failure == nil { failure = SystemError("close '\(child(temporaryName))'") }
        if failure == nil && renameat(self.fd, temporaryName, self.fd, name) != 0 {
            failure = SystemError("rename to '\(child(name))'")
        }
        if let failure {
            unlinkat(self.fd, temporaryName, 0)
            return failure
        }
        if durable && fsync(self.fd) != 0 { return SystemError("fsync '\(path)'") }
        return nil
    }

    /// Removes `name`; `true` when it was there.
    @discardableResult
    func remove(_ name: String) -> Bool {
        unlinkat(fd, name, 0) == 0
    }
}
