import ElevateCore

/// Errors of the session cache that stop a command. A cache that merely cannot be written (read-only, full) is not
/// one of them: the fetched session is then served uncached with a warning.
public enum CacheError: ElevateFailure, Equatable {
    /// A cache setting has a value that cannot be used; `name` says where it was found.
    case invalidSetting(name: String, value: String, expected: String)
    /// A cache file or directory can be read or written by the group or others.
    case insecurePermissions(path: String, mode: UInt32, isDirectory: Bool)
    /// A cache file or directory belongs to another user.
    case foreignOwner(path: String, owner: UInt32, expected: UInt32, isDirectory: Bool)
    /// Something other than a regular file (a directory, a FIFO, a device) stands where a cache file belongs.
    case notARegularFile(path: String)
    /// The cache directory is a symbolic link where aws-elevate follows none: when it clears the cache. With
    /// `isLockDirectory`, the keyring mode's lock directory (`$XDG_RUNTIME_DIR/aws-elevate`), which is never followed.
    case symbolicLink(path: String, isLockDirectory: Bool = false)
    /// The encryption key file does not hold a key.
    case invalidKeyFile(path: String)
    /// This run was started, through a credential_process, by a run fetching the same session: it would wait for
    /// its own caller's lock.
    case recursion

    public var category: FailureCategory {
        switch self {
        case .invalidSetting, .recursion: .configuration
        default: .credentials
        }
    }

    public var problem: String {
        switch self {
        case .invalidSetting(let name, let value, let expected):
            "invalid value \(quoted(value)) for \(singleLine(name)): expected \(expected)"
        case .insecurePermissions(let path, let mode, let isDirectory):
            "the cache \(isDirectory ? "directory" : "file") \(quoted(path)) is accessible by group or others "
                + "(mode \(octal(mode)))"
        case .foreignOwner(let path, let owner, let expected, let isDirectory):
            "the cache \(isDirectory ? "directory" : "file") \(quoted(path)) is owned by uid \(owner), not by the "
                + "user running aws-elevate (uid \(expected))"
        case .notARegularFile(let path):
            "\(quoted(path)) in the cache is not a regular file"
        case .symbolicLink(let path, true):
            "the lock directory \(quoted(path)) is a symbolic link, which aws-elevate does not follow"
        case .symbolicLink(let path, false):
            "the cache directory \(quoted(path)) is a symbolic link, which aws-elevate does not follow when it "
                + "removes files"
        case .invalidKeyFile(let path):
            "the cache key file \(quoted(path)) does not hold a \(KeyFile.keyByteCount)-byte key"
        case .recursion:
            "a credential_process of this chain runs aws-elevate for the same chain again"
        }
    }

    public var remedy: String {
        switch self {
        case .invalidSetting:
            "correct the setting or remove it"
        case .insecurePermissions(let path, _, let isDirectory):
            "run: chmod \(isDirectory ? "700" : "600") \(shellQuoted(path))"
        case .foreignOwner(let path, _, let expected, _):
            "run: chown \(expected) \(shellQuoted(path)) (or remove it: rm -r \(shellQuoted(path)))"
        case .notARegularFile(let path):
            "remove it: rm -r \(shellQuoted(path))"
        case .symbolicLink(let path, true):
            "remove the link (rm \(shellQuoted(path))): aws-elevate makes the directory anew, mode 700"
        case .symbolicLink(let path, false):
            "point AWS_ELEVATE_CACHE_DIR at the directory it links to, or replace the link with a directory of its "
                + "own: rm \(shellQuoted(path)) && mkdir -m 700 \(shellQuoted(path))"
        case .invalidKeyFile(let path):
            "remove it (rm \(shellQuoted(path))): aws-elevate makes a new key and fetches new sessions"
        case .recursion:
            "make that program get its credentials without aws-elevate, or from another profile"
        }
    }
}

/// A value in single quotes, on one line and at most 200 characters long.
func quoted(_ value: String) -> String {
    quotedForMessage(value, limit: 200)
}

/// A path quoted for a POSIX shell, for remedies the user can paste. `singleLine` has turned any NUL into `?`.
func shellQuoted(_ path: String) -> String {
    shellQuote(singleLine(path)) ?? "''"
}

/// `0755`: permission bits as `ls -l` users read them.
func octal(_ mode: UInt32) -> String {
    let text = String(mode & 0o7777, radix: 8)
    return String(repeating: "0", count: max(0, 4 - text.count)) + text
}
