#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import ElevateCore

/// The event loop of `exec --server`: answers the endpoint, relays signals to the child, and ends when the child
/// has exited. One thread, `poll` over the signal pipe, the listener and the open connections.
struct ServerLoop {
    var endpoint: CredentialEndpoint
    var relay: SignalRelay
    var child: pid_t
    var token: [UInt8]
    var path: [UInt8]
    var profile: String
    var fetch: () async throws -> Credentials

    /// Runs until the child exits; returns its wait status.
    func run() async -> Int32 {
        relay.relay(to: child)
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
                pollfd(fd: endpoint.listener, events: Int16(POLLIN), revents: 0),
            ]
            descriptors += endpoint.connections.map { pollfd(fd: $0.socket, events: Int16(POLLIN), revents: 0) }
            // Wake at the nearest deadline, and at least every second to look at the child even if a byte was lost.
            let nearest = endpoint.connections.map(\.deadline).min().map { max(0, $0 - now) } ?? 1000
            _ = poll(&descriptors, nfds_t(descriptors.count), Int32(min(nearest, 1000)))
            // The handler relays what arrives once the child runs; these came before.
            for event in relay.drain() where event.signal != SIGCHLD && !event.fromKernel && !event.relayed {
                kill(child, event.signal)
            }
            // From the last to the first, so that closing one keeps the indices of those still to come; before
            // accepting, which may close the oldest.
            for index in (0..<(descriptors.count - 2)).reversed() where descriptors[index + 2].revents != 0 {
                await handle(index)
            }
            if descriptors[1].revents != 0 { endpoint.acceptPending(now: monotonicMilliseconds()) }
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

    private func handle(_ index: Int) async {
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
                endpoint.answer(index, await serve())
            }
        }
    }

    private func refusal(_ status: Int, _ reason: String) -> [UInt8] {
        EndpointProtocol.response(
            status: status,
            body: EndpointProtocol.errorBody(code: EndpointProtocol.reasonPhrase(status), message: reason))
    }

    private func serve() async -> [UInt8] {
        do {
            let credentials = try await fetch()
            guard let token = credentials.sessionToken, let expiration = credentials.expiration else {
                throw ExecError.notTemporary
            }
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
