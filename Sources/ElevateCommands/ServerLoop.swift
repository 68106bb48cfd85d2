#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import ElevateCore
import Logging
import Synchronization

/// The event loop of `exec --server`: answers the endpoint, relays signals to the child, and ends when the child
/// has exited. One thread polls the signal pipe, the listener, the open connections and the refresh in flight;
/// a refresh runs as its own task, so that a slow chain (STS retries, a slow `credential_process`) neither holds the
/// other connections nor keeps aws-elevate alive after the command has exited.
final class ServerLoop {
    private let endpoint: CredentialEndpoint
    private let relay: SignalRelay
    private let child: pid_t
    private let token: [UInt8]
    private let path: [UInt8]
    private let profile: String
    private let logger: Logger
    private let fetch: @Sendable () async throws -> Credentials

    /// Authorised connections waiting for the refresh in flight; all get its answer.
    private var waiting: [Int32] = []
    private var inFlight = false
    private let finished = Refresh()
    /// The most connections that may wait for one refresh; more get a 503 at once.
    static let maximumWaiting = 16

    init(
        endpoint: CredentialEndpoint, relay: SignalRelay, child: pid_t, token: [UInt8], path: [UInt8],
        profile: String, logger: Logger, fetch: @escaping @Sendable () async throws -> Credentials
    ) {
        self.endpoint = endpoint
        self.relay = relay
        self.child = child
        self.token = token
        self.path = path
        self.profile = profile
        self.logger = logger
        self.fetch = fetch
    }

    /// Runs until the child exits; returns its wait status. Connections still open are closed.
    func run() async -> Int32 {
        relay.relay(to: child)
        defer {
            // The refresh pipe stays open: a refresh still running would die of SIGPIPE writing to a closed one,
            // and take this process with it before it exits as the command did.
            for socket in waiting { close(socket) }
        }
        while true {
            if let status = reaped() { return status }
            let now = monotonicMilliseconds()
            for index in endpoint.connections.indices.reversed() where endpoint.connections[index].deadline <= now {
                endpoint.answer(
                    index,
                    EndpointProtocol.response(
                        status: 408,
                        body: EndpointProtocol.errorBody(code: "RequestTimeout", message: "request timeout")))
            }
            var descriptors = [
                pollfd(fd: relay.readEnd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: finished.readEnd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: endpoint.listener, events: Int16(POLLIN), revents: 0),
            ]
            let fixed = descriptors.count
            descriptors += endpoint.connections.map { pollfd(fd: $0.socket, events: Int16(POLLIN), revents: 0) }
            // Wake at the nearest deadline, and at least every second to look at the child even if a byte was lost.
            let nearest = endpoint.connections.map(\.deadline).min().map { max(0, $0 - now) } ?? 1000
            _ = poll(&descriptors, nfds_t(descriptors.count), Int32(min(nearest, 1000)))
            // The handler relays what arrives once the child runs; these came before.
            for event in relay.drain() where event.signal != SIGCHLD && !event.fromKernel && !event.relayed {
                kill(child, event.signal)
            }
            if descriptors[1].revents != 0, let result = finished.take() { answerWaiting(with: result) }
            // From the last to the first, so that closing one keeps the indices of those still to come; before
            // accepting, which may close the oldest.
            for index in (0..<(descriptors.count - fixed)).reversed() where descriptors[index + fixed].revents != 0 {
                handle(index)
            }
            if descriptors[2].revents != 0 { endpoint.acceptPending(now: monotonicMilliseconds()) }
        }
    }

    private func reaped() -> Int32? {
        // Look without reaping first: the id stays the child's until the relay has stopped.
        var info = siginfo_t()
        guard waitid(P_PID, id_t(child), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else {
            return errno == ECHILD ? 0 : nil
        }
        guard info._sifields._sigchld.si_pid == child else { return nil }
        relay.relay(to: 0)
        var status: Int32 = 0
        return waitpid(child, &status, 0) == child ? status : 0
    }

    private func handle(_ index: Int) {
        guard endpoint.receive(index) else {
            endpoint.drop(index)
            return
        }
        switch EndpointProtocol.parse(endpoint.connections[index].received) {
        case .incomplete:
            return
        case .refused(let status, let reason):
            endpoint.answer(index, refusal(status, reason))
        case .request(let request):
            let decision: EndpointProtocol.Decision
            do {
                decision = try EndpointProtocol.decide(
                    request, host: Array(endpoint.authority.utf8), path: path, token: token)
            } catch {
                decision = .refuse(status: 500, reason: "token check unavailable")
            }
            switch decision {
            case .refuse(let status, let reason):
                endpoint.answer(index, refusal(status, reason))
            case .serve:
                guard waiting.count < Self.maximumWaiting else {
                    endpoint.answer(index, refusal(503, "too many requests waiting"))
                    return
                }
                waiting.append(endpoint.detach(index))
                startRefresh()
            }
        }
    }

    private func refusal(_ status: Int, _ reason: String) -> [UInt8] {
        logger.debug("endpoint: \(status) \(reason)")
        return EndpointProtocol.response(
            status: status,
            body: EndpointProtocol.errorBody(code: EndpointProtocol.reasonPhrase(status), message: reason))
    }

    /// Starts a refresh unless one is in flight (every waiting connection gets the answer of the next to finish).
    private func startRefresh() {
        guard !inFlight else { return }
        inFlight = true
        let fetch = self.fetch
        let finished = self.finished
        Task.detached {
            do {
                finished.put(.success(try await fetch()))
            } catch {
                finished.put(.failure(error))
            }
        }
    }

    private func answerWaiting(with result: Result<Credentials, any Error>) {
        inFlight = false
        let response = render(result)
        for socket in waiting { sendAndClose(socket, response) }
        waiting.removeAll()
    }

    private func render(_ result: Result<Credentials, any Error>) -> [UInt8] {
        do {
            let credentials = try result.get()
            guard let token = credentials.sessionToken, let expiration = credentials.expiration else {
                throw ExecError.notTemporary
            }
            logger.debug(
                "endpoint: 200 to \(waiting.count) request(s), session expires \(Timestamp.format(expiration))")
            return EndpointProtocol.response(
                status: 200, body: EndpointProtocol.credentialsBody(credentials, token: token, expiration: expiration))
        } catch {
            let line =
                (error as? any ElevateFailure).map { FailureReport.line(profile: profile, failure: $0) }
                ?? "aws-elevate: profile '\(singleLine(profile))': unexpected \(type(of: error)) — rerun with --debug and report it"
            writeStderrLine(line)
            return EndpointProtocol.response(
                status: 503,
                body: EndpointProtocol.errorBody(
                    code: "CredentialsUnavailable",
                    message: "aws-elevate could not obtain credentials for the profile; see its standard error"))
        }
    }
}

/// The result of the refresh in flight, handed from its task to the loop: stored under a lock, then announced by a
/// byte on a pipe that the loop polls.
final class Refresh: Sendable {
    private let result = Mutex<Result<Credentials, any Error>?>(nil)
    let readEnd: Int32
    private let writeEnd: Int32

    init() {
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) == 0 {
            for end in ends {
                _ = fcntl(end, F_SETFD, FD_CLOEXEC)
                _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            }
        }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    func put(_ value: Result<Credentials, any Error>) {
        result.withLock { $0 = value }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// The finished result, once; drains the pipe.
    func take() -> Result<Credentials, any Error>? {
        var buffer = [UInt8](repeating: 0, count: 16)
        while read(readEnd, &buffer, buffer.count) > 0 {}
        return result.withLock { value in
            defer { value = nil }
            return value
        }
    }
}
