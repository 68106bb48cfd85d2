#if canImport(Glibc)
import Glibc
#endif

/// The write end of the relay's pipe, read by the signal handler (which can reach nothing but globals).
nonisolated(unsafe) private var relayWriteEnd: Int32 = -1
/// The child signals are relayed to, once started (0 before); the handler sends them itself (`kill` is
/// async-signal-safe), so that a relay never waits for the event loop, which may be waiting for STS.
nonisolated(unsafe) private var relayChild: pid_t = 0

/// Turns the signals `exec --server` handles into bytes on a pipe that its event loop polls (the self-pipe trick):
/// the handler only writes, which is async-signal-safe, and whichever thread the signal lands on.
final class SignalRelay {
    /// The signals passed on to the child.
    static let relayed: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    /// A signal as the handler saw it.
    struct Event: Equatable {
        var signal: Int32
        /// Sent by the kernel (a terminal's ^C, ^\ or hang-up): it already reached the whole foreground process
        /// group, the child included, and is not sent again (a second SIGINT makes some programs abort at once).
        var fromKernel: Bool
        /// Already sent on to the child by the handler.
        var relayed: Bool
    }

    /// The read end, non-blocking.
    let readEnd: Int32
    private let writeEnd: Int32

    /// Installs the handlers for ``relayed`` and SIGCHLD.
    init() throws(ExecError) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw .endpoint(call: "pipe", errno: errno) }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        readEnd = ends[0]
        writeEnd = ends[1]
        relayWriteEnd = writeEnd
        for signal in Self.relayed + [SIGCHLD] {
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = { signal, info, _ in
                let saved = errno
                // SI_KERNEL (0x80): raised by the kernel, e.g. the terminal driver for the foreground group.
                let fromKernel: UInt8 = (info?.pointee.si_code ?? 0) == 0x80 ? 1 : 0
                let child = relayChild
                var relayed: UInt8 = 0
                if signal != SIGCHLD && fromKernel == 0 && child > 0 {
                    kill(child, signal)
                    relayed = 1
                }
                var bytes: (UInt8, UInt8, UInt8) = (UInt8(truncatingIfNeeded: signal), fromKernel, relayed)
                _ = withUnsafeBytes(of: &bytes) { write(relayWriteEnd, $0.baseAddress, 3) }
                errno = saved
            }
            action.sa_flags = SA_SIGINFO | SA_RESTART | (signal == SIGCHLD ? SA_NOCLDSTOP : 0)
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }

    /// The signals received since the last call.
    func drain() -> [Event] {
        var events: [Event] = []
        var buffer = [UInt8](repeating: 0, count: 255)
        while true {
            let count = read(readEnd, &buffer, buffer.count)
            guard count > 0 else { break }
            var index = 0
            while index + 2 < count {
                events.append(
                    Event(
                        signal: Int32(buffer[index]), fromKernel: buffer[index + 1] == 1,
                        relayed: buffer[index + 2] == 1))
                index += 3
            }
        }
        return events
    }

    /// From now on the handler relays signals to `child`; 0 stops it (before the child is reaped, so that a signal
    /// never reaches a process that took its id).
    func relay(to child: pid_t) {
        relayChild = child
    }

    /// Puts back the default actions.
    func restoreDefaults() {
        for signal in Self.relayed + [SIGCHLD] { Glibc.signal(signal, SIG_DFL) }
    }
}
