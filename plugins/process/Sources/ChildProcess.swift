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
/// There is no time-out, as in botocore: such a program may wait for a person (an MFA prompt on the terminal).
enum ChildProcess {
    /// How much of standard error is kept for messages.
    static let stderrTail = 4096

    enum Failure: Error, Equatable {
        /// The program could not be started (`errno`): not found, not executable, ….
        case spawn(Int32)
        /// A pipe or `poll` failed (`errno`).
        case io(Int32)
    }

    static func run(_ arguments: [String], environment: [String: String], stdoutLimit: Int) throws(Failure)
        -> ChildOutput
    {
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

        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var overflowed = false
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var ioFailure: Int32?
        while readEnds.contains(where: { $0 >= 0 }) {
            var polled = readEnds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if poll(&polled, nfds_t(polled.count), -1) < 0 {
                if errno == EINTR { continue }
                ioFailure = errno
                break
            }
            for (index, entry) in polled.enumerated() where entry.fd >= 0 && entry.revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    ioFailure = errno
                    close(entry.fd)
                    readEnds[index] = -1
                } else if count == 0 {
                    close(entry.fd)
                    readEnds[index] = -1
                } else if index == 0 {
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
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw .io(errno) }
        }
        if let ioFailure { throw .io(ioFailure) }
        // The <sys/wait.h> macros, which Swift does not import.
        let ending: ChildOutput.Ending =
            status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
        return ChildOutput(ending: ending, stdout: stdout, stderr: stderr, stdoutOverflowed: overflowed)
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
