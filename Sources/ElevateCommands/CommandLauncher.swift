#if canImport(Glibc)
import Glibc
#endif
import ElevateCore

/// Finds and starts the command of `exec`, with the shells' exit codes for a command that cannot run.
enum CommandLauncher {
    /// Why a command cannot be started: the shells' 127 (not found) and 126 (found, cannot run).
    struct Refusal: Error, Equatable {
        var exitCode: Int32
        var message: String
    }

    /// The file to run for `command`: itself when it holds a `/`, else the first executable regular file of that
    /// name in `path` (an empty element is the current directory, as for execvp).
    static func resolve(_ command: [UInt8], path: [UInt8]?) -> Result<[UInt8], Refusal> {
        let name = "'" + singleLine(String(decoding: command, as: UTF8.self)) + "'"
        if command.isEmpty { return .failure(Refusal(exitCode: 127, message: "\(name): command not found")) }
        if command.contains(UInt8(ascii: "/")) {
            switch check(command) {
            case .runnable: return .success(command)
            case .missing: return .failure(Refusal(exitCode: 127, message: "\(name): no such file"))
            case .notRunnable: return .failure(Refusal(exitCode: 126, message: "\(name): permission denied"))
            }
        }
        var sawNotRunnable = false
        let directories = (path ?? Array("/usr/local/bin:/usr/bin:/bin".utf8))
            .split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        for directory in directories {
            let candidate = directory.isEmpty ? command : Array(directory) + [UInt8(ascii: "/")] + command
            switch check(candidate) {
            case .runnable: return .success(candidate)
            case .notRunnable: sawNotRunnable = true
            case .missing: continue
            }
        }
        return .failure(
            sawNotRunnable
                ? Refusal(exitCode: 126, message: "\(name): permission denied")
                : Refusal(exitCode: 127, message: "\(name): command not found"))
    }

    private enum Check { case runnable, missing, notRunnable }

    private static func check(_ file: [UInt8]) -> Check {
        withCStrings([file]) { strings in
            var info = stat()
            guard stat(strings[0]!, &info) == 0 else { return .missing }
            guard info.st_mode & S_IFMT == S_IFREG else { return .notRunnable }
            return access(strings[0]!, X_OK) == 0 ? .runnable : .notRunnable
        }
    }

    /// Replaces this process with `file` (argv `arguments`, environment `environment`), with an empty signal mask.
    /// Returns only on failure, with the refusal to report.
    static func replace(file: [UInt8], arguments: [[UInt8]], environment: ChildEnvironment) -> Refusal {
        // execve keeps the calling thread's signal mask, and this may be a thread of Swift's pool, which blocks
        // most signals: the command would then not die of a SIGTERM.
        var empty = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, nil)
        let code = withCStrings([file] + arguments) { strings in
            environment.withEnvp { envp in
                _ = execve(
                    strings[0]!, UnsafeMutablePointer(mutating: strings.advanced(by: 1)),
                    UnsafeMutablePointer(mutating: envp))
                return errno
            }
        }
        return refusal(file: file, errno: code)
    }

    /// Starts `file` as a child process; its signal mask is empty and the signals this process relays are back to
    /// their default action in it.
    static func spawn(
        file: [UInt8], arguments: [[UInt8]], environment: ChildEnvironment, defaultSignals: [Int32]
    ) -> Result<pid_t, Refusal> {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in defaultSignals { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let code = withCStrings([file] + arguments) { strings in
            environment.withEnvp { envp in
                posix_spawn(
                    &child, strings[0]!, nil, &attributes,
                    UnsafeMutablePointer(mutating: strings.advanced(by: 1)), UnsafeMutablePointer(mutating: envp))
            }
        }
        return code == 0 ? .success(child) : .failure(refusal(file: file, errno: code))
    }

    private static func refusal(file: [UInt8], errno code: Int32) -> Refusal {
        let name = "'" + singleLine(String(decoding: file, as: UTF8.self)) + "'"
        let reason = String(cString: strerror(code))
        return Refusal(exitCode: code == ENOENT ? 127 : 126, message: "\(name): \(reason)")
    }
}
