#if canImport(Glibc)
import Glibc
#endif
import ElevateCore

/// What a finished child process left behind.
package struct ChildOutput: Sendable, Equatable {
    package enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    package var ending: Ending
    package var stdout: [UInt8]
    /// The last ``ChildProcess/stderrTail`` bytes of its standard error.
    package var stderr: [UInt8]
    /// Whether it wrote more than the limit to standard output (the rest was read and dropped).
    package var stdoutOverflowed: Bool

    package init(ending: Ending, stdout: [UInt8], stderr: [UInt8], stdoutOverflowed: Bool) {
        self.ending = ending
        self.stdout = stdout
        self.stderr = stderr
        self.stdoutOverflowed = stdoutOverflowed
    }

    /// The last non-empty line of its standard error, trimmed, for a one-line message; `nil` when there is none.
    package var lastErrorLine: String? {
        let text = String(decoding: stderr, as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).last.map { trimmingWhitespace(String($0)) }
            .flatMap { $0.isEmpty ? nil : $0 }
    }

    /// How it ended, as words that follow the program's name: `exited with status 3`, `was killed by signal 9`.
    package var endingText: String {
        switch ending {
        case .exited(let status): "exited with status \(status)"
        case .signaled(let signal): "was killed by signal \(signal)"
        }
    }
}

/// Runs a program without a shell, bounded in time and output: how every program that gives credentials is run (the
/// `process` source's `credential_process`, process plugins).
///
/// The program is looked up on `PATH` as `execvp` does (a name with a `/` is taken as it is); standard output and
/// error are captured; standard input is inherited, or a pipe that carries the given bytes and is then closed.
///
/// The run is bounded, since the caller holds a cache entry's lock meanwhile: the program gets ``Limits/timeout``,
/// and once it has exited its pipes are read only until they fall quiet, so a background process it started that
/// keeps them open does not keep us waiting.
///
/// By default the program stays in our process group: in a group of its own it would be in the background on the
/// terminal, and reading a prompt from `/dev/tty` would stop it (`SIGTTIN`). A time-out then signals the program
/// alone, not what it started; those are left with pipes that nobody reads any more. With
/// ``Limits/ownProcessGroup`` (a program that never prompts) it leads a group of its own, and a time-out signals the
/// whole group.
package enum ChildProcess {
    /// How much of standard error is kept for messages.
    package static let stderrTail = 4096

    /// Counts how deep programs run inside each other; every program started gets it, one higher.
    package static let depthVariable = "AWS_ELEVATE_PROCESS_DEPTH"
    /// The deepest nesting allowed: a program that runs aws-elevate for the same profile again would otherwise
    /// start processes without end.
    package static let maximumDepth = 4

    /// The depth `environment` records, and the environment for a program started one level deeper (`nil` when
    /// that would pass ``maximumDepth``).
    package static func nested(_ environment: [String: String]) -> (depth: Int, environment: [String: String]?) {
        let depth = environment[depthVariable].flatMap { Int($0) } ?? 0
        guard depth < maximumDepth else { return (depth, nil) }
        var deeper = environment
        deeper[depthVariable] = String(depth + 1)
        return (depth, deeper)
    }

    /// How long a run may take.
    package struct Limits: Sendable, Equatable {
        /// The longest the program may run; then it gets `SIGTERM`.
        package var timeout: Duration
        /// How long it has after `SIGTERM` before `SIGKILL`.
        package var grace: Duration = .seconds(2)
        /// After it exited, its pipes are read until they have been quiet this long…
        package var drainQuiet: Duration = .milliseconds(200)
        /// …or for this long at most.
        package var drainLimit: Duration = .seconds(1)
        /// Whether a pidfd may tell when the program exits; without one, `waitpid` is asked at short intervals.
        package var usePidfd = true
        /// Whether the program leads a process group of its own, which a time-out signals as a whole.
        package var ownProcessGroup = false

        package init(
            timeout: Duration, grace: Duration = .seconds(2), drainQuiet: Duration = .milliseconds(200),
            drainLimit: Duration = .seconds(1), usePidfd: Bool = true, ownProcessGroup: Bool = false
        ) {
            self.timeout = timeout
            self.grace = grace
            self.drainQuiet = drainQuiet
            self.drainLimit = drainLimit
            self.usePidfd = usePidfd
            self.ownProcessGroup = ownProcessGroup
        }
    }

    package enum Failure: Error, Equatable {
        /// The program could not be started (`errno`): not found, not executable, ….
        case spawn(Int32)
        /// A pipe, `poll` or `waitpid` failed (`errno`).
        case io(Int32)
        /// The program ran longer than ``Limits/timeout`` and was stopped; it has been reaped.
        case timedOut
    }

    /// Runs `arguments` (the program first) with exactly `environment`; `stdin` is written to its standard input,
    /// which is then closed (`nil`: it inherits ours). At most `stdoutLimit` bytes of standard output are kept.
    package static func run(
        _ arguments: [String], environment: [String: String], stdin input: [UInt8]? = nil, stdoutLimit: Int,
        limits: Limits
    ) throws(Failure) -> ChildOutput {
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
        var request: [Int32] = [-1, -1]
        if input != nil {
            guard makePipe(&request) else {
                let code = errno
                close(output[1])
                close(errors[1])
                throw .io(code)
            }
            // Our end never blocks: a program that does not read its input must not stop us reading its output.
            _ = fcntl(request[1], F_SETFL, fcntl(request[1], F_GETFL) | O_NONBLOCK)
        }
        var writeEnd = request[1]
        defer { if writeEnd >= 0 { close(writeEnd) } }

        let pid: pid_t
        do throws(Failure) {
            pid = try spawn(
                arguments, environment: environment, stdin: request[0], stdout: output[1], stderr: errors[1],
                ownGroup: limits.ownProcessGroup)
            close(output[1])
            close(errors[1])
            if request[0] >= 0 { close(request[0]) }
        } catch {
            close(output[1])
            close(errors[1])
            if request[0] >= 0 { close(request[0]) }
            throw error
        }
        // A time-out signals the program's own group when it leads one (no other process of ours is in it).
        let target = limits.ownProcessGroup ? -pid : pid
        var pending = input.map { ArraySlice($0) } ?? []
        if writeEnd >= 0 && pending.isEmpty {
            close(writeEnd)
            writeEnd = -1
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
                    kill(target, SIGKILL)
                    if let reaped = try reap(pid, blocking: true) { exited(reaped) }
                    continue
                }
                wake = killAt
            } else if now >= deadline {
                timedOut = true
                kill(target, SIGTERM)
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
            // The write end comes last, after the exit notice, so that the indexes of the read ends stay put.
            if exitNotice >= 0 { polled.append(pollfd(fd: exitNotice, events: Int16(POLLIN), revents: 0)) }
            let writeIndex = writeEnd >= 0 && status == nil ? polled.count : -1
            if writeIndex >= 0 { polled.append(pollfd(fd: writeEnd, events: Int16(POLLOUT), revents: 0)) }
            if poll(&polled, nfds_t(polled.count), milliseconds(wake - now)) < 0 {
                if errno == EINTR { continue }
                ioFailure = errno
                break
            }
            if writeIndex >= 0 && polled[writeIndex].revents != 0 {
                switch writeSome(writeEnd, &pending) {
                case .more: break
                case .done, .closedByReader:
                    // A program that stops reading early has what it wanted; its answer decides.
                    close(writeEnd)
                    writeEnd = -1
                case .failed(let code):
                    ioFailure = code
                    close(writeEnd)
                    writeEnd = -1
                }
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
            kill(target, SIGKILL)
            status = try reap(pid, blocking: true)
        }
        // What the leader of a stopped group started goes with it.
        if timedOut && limits.ownProcessGroup { kill(target, SIGKILL) }
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

    private enum WriteOutcome {
        case more, done, closedByReader
        case failed(Int32)
    }

    /// Writes what the pipe takes now of `pending` and drops it from there. `SIGPIPE` is blocked meanwhile on this
    /// thread, and one it raised is taken back, so that a program that closes its input early ends nothing of ours.
    private static func writeSome(_ fd: Int32, _ pending: inout ArraySlice<UInt8>) -> WriteOutcome {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        while !pending.isEmpty {
            let count = pending.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                pending.removeFirst(count)
                continue
            }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN { return .more }
            if code == EPIPE {
                var none = timespec()
                if sigismember(&previous, SIGPIPE) == 0 { _ = sigtimedwait(&pipeSignal, nil, &none) }
                return .closedByReader
            }
            return .failed(code)
        }
        return .done
    }

    private static func spawn(
        _ arguments: [String], environment: [String: String], stdin: Int32, stdout: Int32, stderr: Int32,
        ownGroup: Bool
    ) throws(Failure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdin >= 0 { posix_spawn_file_actions_adddup2(&actions, stdin, 0) }
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
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if ownGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

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
