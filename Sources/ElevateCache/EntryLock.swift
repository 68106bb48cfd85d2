#if canImport(Glibc)
import Glibc
#endif

/// The per-entry lock that makes concurrent cold callers fetch once: `flock` on `DIR/v1-<digest>.lock` (0600), where
/// DIR is the file backend's directory, or for the keyring mode `$XDG_RUNTIME_DIR/aws-elevate` (``Place``).
///
/// `flock` is released by the kernel when its holder dies, kill -9 included, so a lock file left behind never blocks
/// anyone. Lock files may be removed (`cache clear`): after `flock` succeeds the holder checks that its file is still
/// the one at the path, and starts over if not.
final class EntryLock {
    private let descriptor: Descriptor

    private init(_ descriptor: Descriptor) {
        self.descriptor = descriptor
    }

    /// Where the lock files are.
    enum Place: Equatable, CustomStringConvertible {
        /// The file backend's directory, made with its parents when missing.
        case cacheDirectory(String)
        /// `aws-elevate` in the user's runtime directory (`$XDG_RUNTIME_DIR`), made when missing; never a link.
        case runtimeDirectory(String)

        var description: String {
            switch self {
            case .cacheDirectory(let path): path
            case .runtimeDirectory(let runtime): runtime + "/aws-elevate"
            }
        }
    }

    enum Acquiring {
        /// The lock; `waited` is set when another process held it first.
        case acquired(EntryLock, waited: Duration?)
        case timedOut(after: Duration)
        case unavailable(SystemError)
    }

    /// Takes the lock of `key` in `place` (made if missing), polling for at most `timeout`; `onWait` is called once
    /// if another process holds it.
    static func acquire(
        _ key: CacheKey, in place: Place, timeout: Duration, onWait: () -> Void
    ) throws(CacheError) -> Acquiring {
        let folder: PrivateDirectory
        let opening: PrivateDirectory.Opening
        switch place {
        case .cacheDirectory(let directory): opening = try PrivateDirectory.open(directory, create: true)
        case .runtimeDirectory(let runtime): opening = try PrivateDirectory.openRuntime(runtime)
        }
        switch opening {
        case .missing: return .unavailable(SystemError("open '\(place)'", code: ENOENT))
        case .unusable(let failure): return .unavailable(failure)
        case .opened(let opened): folder = opened
        }
        let name = FileBackend.lockName(key)
        let clock = ContinuousClock()
        let start = clock.now
        var pause = Duration.milliseconds(2)
        var announced = false
        var linksRemoved = 0
        while true {
            let fd = openat(folder.fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd < 0 && errno == ELOOP && linksRemoved < 3 {
                // A symbolic link is never followed: replace it by a real lock file.
                folder.remove(name)
                linksRemoved += 1
                continue
            }
            guard fd >= 0 else { return .unavailable(SystemError("open '\(folder.child(name))'")) }
            let descriptor = Descriptor(fd)
            let info: stat
            do { info = try descriptor.status() } catch { return .unavailable(error) }
            guard isRegularFile(info) else { throw .notARegularFile(path: folder.child(name)) }
            try checkPrivate(info, path: folder.child(name))

            while flock(fd, LOCK_EX | LOCK_NB) != 0 {
                guard errno == EWOULDBLOCK || errno == EINTR else {
                    return .unavailable(SystemError("flock '\(folder.child(name))'"))
                }
                if !announced {
                    announced = true
                    onWait()
                }
                let waited = clock.now - start
                if waited >= timeout { return .timedOut(after: waited) }
                sleep(for: pause)
                pause = min(pause * 2, .milliseconds(50))
            }
            var current = stat()
            if fstatat(folder.fd, name, &current, AT_SYMLINK_NOFOLLOW) == 0,
               current.st_ino == info.st_ino, current.st_dev == info.st_dev
            {
                return .acquired(EntryLock(descriptor), waited: announced ? clock.now - start : nil)
            }
            // The file was removed or replaced while we waited: lock the one that is there now.
        }
    }

    /// Releases the lock (closing the descriptor does; this makes the moment explicit).
    func release() {
        flock(descriptor.fd, LOCK_UN)
    }
}

/// Sleeps the thread: the lock is polled from synchronous code, and a blocked SDK call waits anyway.
private func sleep(for duration: Duration) {
    let (seconds, attoseconds) = duration.components
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR {
        request = remaining
    }
}
