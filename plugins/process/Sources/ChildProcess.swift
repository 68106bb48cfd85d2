#if canImport(Glibc)
import Glibc
#endif

/// What a finished child process left behind.
struct ChildOutput: Sendable, Equatable {
    enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    var ending: Ending
    var stdout: [UInt8]
    /// The last ``ChildProcess/stderrTail`` bytes of its standard error.
    var stderr: [UInt8]
    /// Whether it wrote more than the limit to standard output (the rest was read and dropped).
    var stdoutOverflowed: Bool
}

/// Runs a program as botocore runs `credential_process` (`subprocess.Popen` of the `shlex` words): no shell, the
/// program looked up on `PATH` as `execvp` does, standard input inherited, standard output and error captured.
///
/// Unlike botocore, the run is bounded, since the caller holds a cache entry's lock meanwhile: the program gets
/// ``Limits/timeout`` (generous, as it may wait for a person at an MFA prompt), and once it has exited its pipes
/// are read only until they fall quiet, so a background process it started that keeps them open does not keep
/// us waiting.
///
/// The program stays in our process group: in a group of its own it would be in the background on the terminal,
/// and reading a prompt from `/dev/tty` would stop it (`SIGTTIN`). So a time-out signals the program alone, not
/// what it started; those are left with pipes that nobody reads any more.
enum ChildProcess {
    /// How much of standard error is kept for messages.
    static let stderrTail = 4096

    /// How long a run may take.
    struct Limits: Sendable, Equatable {
        /// The longest the program may run; then it gets `SIGTERM`.
        var timeout: Duration
        /// How long it has after `SIGTERM` before `SIGKILL`.
        var grace: Duration = .seconds(2)
        /// After it exited, its pipes are read until they have been quiet this long…
        var drainQuiet: Duration = .milliseconds(200)
        /// …or for this long at most.
        var drainLimit: Duration = .seconds(1)
        /// Whether a pidfd may tell when the program exits; without one, `waitpid` is asked at short intervals.
        var usePidfd = true
    }

    enum Failure: Error, Equatable {
        /// The program could not be started (`errno`): not found, not executable, ….
        case spawn(Int32)
        /// A pipe, `poll` or `waitpid` failed (`errno`).
        case io(Int32)
        /// The program ran longer than ``Limits/timeout`` and was stopped; it has been reaped.
        case timedOut
    }

    static func run(_ arguments: [String], environment: [String: String], stdoutLimit: Int, limits: Limits)
        throws(Failure) -> ChildOutput
    {
        // An ignored SIGCHLD survives exec: from a caller that ignores it, the kernel would reap the program itself
        // and `waitpid` could only fail. Its default action is to do nothing, so taking it back changes nothing else.
        signal(SIGCHLD, nil)
        var output: [Int32] = [-1, -1]
        var errors: [Int32] = [-1, -1]
        guard makePipe(&output) else { throw .io(errno) }
        guard makePipe(&errors) else {
            let code = errno
            close(output[0])
            close(output[1])
            throw .io(code)
        }
        var readEnds = [output[0], errors[0]]
        defer { for fd in readEnds where fd >= 0 { close(fd) } }

        let pid: pid_t
        do throws(Failure) {
            pid = try spawn(arguments, environment: environment, stdout: output[1], stderr: errors[1])
            close(output[1])
            close(errors[1])
        } catch {
            close(output[1])
            close(errors[1])
            throw error
        }

        let clock = ContinuousClock()
        let deadline = clock.now + limits.timeout
        var exitNotice = limits.usePidfd ? openPidfd(pid) : -1
        defer { if exitNotice >= 0 { close(exitNotice) } }
        var status: Int32?
        var timedOut = false
        var killAt: ContinuousClock.Instant?
        var drainEnd = deadline
        var quietSince = deadline
        // Without a pidfd, how long until `waitpid` is asked again: short at first, as a program usually exits
        // right after its pipes close, then longer.
        var tick = Duration.milliseconds(1)

        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var overflowed = false
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var ioFailure: Int32?

        func exited(_ waitStatus: Int32) {
            status = waitStatus
            if exitNotice >= 0 { close(exitNotice) }
            exitNotice = -1
            quietSince = clock.now
            drainEnd = quietSince + limits.drainLimit
        }

        while true {
            if status == nil, let reaped = try reap(pid, blocking: false) { exited(reaped) }
            let now = clock.now
            var wake: ContinuousClock.Instant
            if status != nil {
                let end = min(quietSince + limits.drainQuiet, drainEnd)
                if !readEnds.contains(where: { $0 >= 0 }) || now >= end { break }
                wake = end
            } else if let killAt {
                if now >= killAt {
                    kill(pid, SIGKILL)
                    if let reaped = try reap(pid, blocking: true) { exited(reaped) }
                    continue
                }
                wake = killAt
            } else if now >= deadline {
                timedOut = true
                kill(pid, SIGTERM)
                killAt = now + limits.grace
                continue
            } else {
                wake = deadline
            }
            if status == nil && exitNotice < 0 {
                wake = min(wake, now + tick)
                tick = min(tick * 2, .milliseconds(50))
            }

            var polled = readEnds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if exitNotice >= 0 { polled.append(pollfd(fd: exitNotice, events: Int16(POLLIN), revents: 0)) }
            if poll(&polled, nfds_t(polled.count), milliseconds(wake - now)) < 0 {
                if errno == EINTR { continue }
                ioFailure = errno
                break
            }
            for (index, entry) in polled.prefix(readEnds.count).enumerated() where entry.fd >= 0 && entry.revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    ioFailure = errno
                    close(entry.fd)
                    readEnds[index] = -1
                } else if count == 0 {
                    close(entry.fd)
                    readEnds[index] = -1
                    tick = .milliseconds(1)
                } else {
                    if status != nil { quietSince = clock.now }
                    if index == 0 {
                        if stdout.count + count <= stdoutLimit {
                            stdout += buffer[..<count]
                        } else {
                            overflowed = true
                        }
                    } else {
                        stderr += buffer[..<count]
                        if stderr.count > stderrTail { stderr.removeFirst(stderr.count - stderrTail) }
                    }
                }
            }
        }
        if status == nil {
            // Only after a failed `poll`: never leave the program running or unreaped.
            kill(pid, SIGKILL)
            status = try reap(pid, blocking: true)
        }
        if timedOut { throw .timedOut }
        if let ioFailure { throw .io(ioFailure) }
        let waitStatus = status ?? 0
        // The <sys/wait.h> macros, which Swift does not import.
        let ending: ChildOutput.Ending =
            waitStatus & 0x7f == 0 ? .exited((waitStatus >> 8) & 0xff) : .signaled(waitStatus & 0x7f)
        return ChildOutput(ending: ending, stdout: stdout, stderr: stderr, stdoutOverflowed: overflowed)
    }

    /// The wait status of `pid` once it has exited; `nil` while it runs (only when not `blocking`).
    private static func reap(_ pid: pid_t, blocking: Bool) throws(Failure) -> Int32? {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, blocking ? 0 : WNOHANG)
            if result == pid { return status }
            if result == 0 { return nil }
            guard errno == EINTR else { throw .io(errno) }
        }
    }

    /// `pidfd_open(2)`, which glibc declares from 2.36 on, in a header Swift does not import; looked up at run time.
    private static let pidfdOpen: (@convention(c) (pid_t, UInt32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pidfd_open") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (pid_t, UInt32) -> Int32).self)
    }()

    /// A descriptor of `pid` that polls readable once it has exited (close-on-exec, as every pidfd); -1 where the
    /// C library or the kernel (before Linux 5.3, or a seccomp filter) has none.
    private static func openPidfd(_ pid: pid_t) -> Int32 {
        guard let pidfdOpen else { return -1 }
        return max(pidfdOpen(pid, 0), -1)
    }

    /// `duration` in whole milliseconds for `poll`, rounded up so that a wake-up is never early.
    private static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let whole = min(seconds, 86_400) * 1_000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(whole)
    }

    /// A pipe whose ends close on exec (`pipe2` with `O_CLOEXEC` is not visible from Swift): the child gets only
    /// the copies that the spawn actions put on 1 and 2.
    private static func makePipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        for fd in ends where fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 {
            let code = errno
            close(ends[0])
            close(ends[1])
            errno = code
            return false
        }
        return true
    }

    private static func spawn(_ arguments: [String], environment: [String: String], stdout: Int32, stderr: Int32)
        throws(Failure) -> pid_t
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)

        // The child starts with default signal handling and nothing blocked, whatever this process changed.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        guard let program = argv.first ?? nil else { throw .spawn(ENOMEM) }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, program, &actions, &attributes, argv, envp)
        guard result == 0 else { throw .spawn(result) }
        return pid
    }
}
