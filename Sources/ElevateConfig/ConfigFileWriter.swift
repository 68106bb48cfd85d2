#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ElevateCore

/// Replaces the config file as a whole, atomically, keeping a backup of what it held.
///
/// - The new content goes to a temporary file in the same folder (`.NAME.aws-elevate-XXXXXX`, mode 0600 until it
///   takes the old file's mode), is synced, and is renamed over the file: a reader sees the old file or the new
///   one, never a part. A file that did not exist is created with mode 0600, and its folder (`~/.aws`) with 0700
///   when that is missing.
/// - A symbolic link is written through: the file it points to is replaced and the link stays.
/// - The old content is first copied to `FILE.bak-YYYYMMDDTHHMMSSZ` (UTC, mode 0600) beside the file; when that
///   name is taken, `.1`, `.2`, … are added: an earlier backup is never overwritten.
/// - Just before the rename the file is read again; if it changed since it was read, nothing is replaced (the
///   backup and the temporary file are removed).
public enum ConfigFileWriter {
    /// What was written.
    public struct Written: Sendable, Equatable {
        /// The file replaced or created: the config file, or the file its symbolic link points to.
        public var path: String
        /// The backup of the old content; `nil` when there was no file.
        public var backup: String?
    }

    /// The config file's bytes for an edit: `nil` when there is no file yet. Anything but a regular file (or a
    /// link to one) is refused, since it cannot be replaced by renaming: `/dev/null` as `AWS_CONFIG_FILE`, a
    /// folder, a link to a missing file.
    static func readForEdit(path: String) throws(ConfigError) -> [UInt8]? {
        var info = stat()
        if lstat(path, &info) != 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw .unwritable(path: path, reason: errnoText(code))
        }
        if info.st_mode & S_IFMT == S_IFLNK, stat(path, &info) != 0 {
            throw .unwritable(path: path, reason: "it is a symbolic link to a missing file")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw .unwritable(path: path, reason: "it is not a regular file")
        }
        return try readConfigFile(at: path, limit: AWSConfig.maximumFileSize)
    }

    /// Replaces the file at `path`, which held `original` (`nil`: no file), with `bytes`; `stamp` names the backup.
    ///
    /// Throws ``ConfigError/unwritable(path:reason:)`` or ``ConfigError/changedWhileWriting(path:)``; the file is
    /// then as it was, and neither a temporary file nor a backup is left.
    public static func replace(
        path: String, original: [UInt8]?, with bytes: [UInt8], stamp: String
    ) throws(ConfigError) -> Written {
        let target = try resolveTarget(path, exists: original != nil)
        let folder = directory(of: target)
        var info = stat()
        if original != nil {
            guard stat(target, &info) == 0 else { throw .changedWhileWriting(path: path) }
        } else if mkdir(folder, 0o700) != 0, errno != EEXIST {
            throw .unwritable(path: path, reason: "cannot create the folder '\(folder)': \(errnoText(errno))")
        }

        var backup: String?
        if let original {
            backup = try writeBackup(original, beside: target, stamp: stamp)
        }
        func discardBackup() {
            if let backup { unlink(backup) }
        }

        var template = Array("\(folder)/.\(baseName(of: target)).aws-elevate-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else {
            let code = errno
            discardBackup()
            throw .unwritable(path: target, reason: "cannot create a temporary file in '\(folder)': \(errnoText(code))")
        }
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        func fail(_ error: ConfigError) -> ConfigError {
            close(fd)
            unlink(temporary)
            discardBackup()
            return error
        }
        guard writeAll(fd: fd, bytes) else { throw fail(.unwritable(path: target, reason: errnoText(errno))) }
        if original != nil {
            if (info.st_uid != geteuid() || info.st_gid != getegid()), fchown(fd, info.st_uid, info.st_gid) != 0 {
                throw fail(.unwritable(path: target, reason: "it belongs to another user or group"))
            }
            guard fchmod(fd, info.st_mode & 0o7777) == 0 else {
                throw fail(.unwritable(path: target, reason: errnoText(errno)))
            }
        }
        guard fsync(fd) == 0 else { throw fail(.unwritable(path: target, reason: errnoText(errno))) }

        let now: [UInt8]?
        do {
            now = try readConfigFile(at: target, limit: AWSConfig.maximumFileSize)
        } catch {
            throw fail(error)
        }
        guard now == original else { throw fail(.changedWhileWriting(path: path)) }
        guard rename(temporary, target) == 0 else { throw fail(.unwritable(path: target, reason: errnoText(errno))) }
        close(fd)
        syncDirectory(folder)
        return Written(path: target, backup: backup)
    }

    /// The file a write to `path` must replace: `path`, or the file its symbolic link points to.
    private static func resolveTarget(_ path: String, exists: Bool) throws(ConfigError) -> String {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR, !exists { return path }
            throw .changedWhileWriting(path: path)
        }
        if !exists { throw .changedWhileWriting(path: path) }
        guard info.st_mode & S_IFMT == S_IFLNK else { return path }
        guard let resolved = realpath(path, nil) else {
            throw .unwritable(path: path, reason: "it is a symbolic link to a missing file")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Copies `original` to a backup name that is not taken yet, with mode 0600.
    private static func writeBackup(_ original: [UInt8], beside target: String, stamp: String) throws(ConfigError)
        -> String
    {
        let base = "\(target).bak-\(stamp)"
        for attempt in 0..<1000 {
            let name = attempt == 0 ? base : "\(base).\(attempt)"
            let fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd < 0 {
                if errno == EEXIST { continue }
                throw .unwritable(path: target, reason: "cannot create the backup '\(name)': \(errnoText(errno))")
            }
            let written = writeAll(fd: fd, original) && fsync(fd) == 0
            let code = errno
            close(fd)
            guard written else {
                unlink(name)
                throw .unwritable(path: target, reason: "cannot write the backup '\(name)': \(errnoText(code))")
            }
            return name
        }
        throw .unwritable(path: target, reason: "every backup name '\(base).N' is taken")
    }

    private static func syncDirectory(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}

/// The folder part of `path` (`.` when it has none), split at the last `/` byte.
func directory(of path: String) -> String {
    let bytes = Array(path.utf8)
    guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return "." }
    return slash == 0 ? "/" : String(decoding: bytes[..<slash], as: UTF8.self)
}

/// The last component of `path`.
func baseName(of path: String) -> String {
    let bytes = Array(path.utf8)
    guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return path }
    return String(decoding: bytes[(slash + 1)...], as: UTF8.self)
}
