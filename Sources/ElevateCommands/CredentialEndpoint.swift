#if canImport(Glibc)
import Glibc
#endif

/// The listening socket of `exec --server` and its connections: non-blocking, on 127.0.0.1 only, each connection
/// with a deadline, so that no client can hold the endpoint.
final class CredentialEndpoint {
    /// The most connections open at once; a new one beyond it closes the oldest.
    static let maximumConnections = 16
    /// How long a connection may take to send its request, in milliseconds.
    static let requestTimeout: Int64 = 5_000

    let listener: Int32
    let port: UInt16

    struct Connection {
        var socket: Int32
        var received: [UInt8] = []
        var deadline: Int64
    }

    private(set) var connections: [Connection] = []

    /// Listens on 127.0.0.1, on a port the kernel picks. The address is fixed: there is no way to bind another.
    init() throws(ExecError) {
        let socket = Glibc.socket(
            AF_INET,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
                | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard socket >= 0 else { throw .endpoint(call: "socket", errno: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(socket)
            throw .endpoint(call: "bind", errno: code)
        }
        guard listen(socket, 16) == 0 else {
            let code = errno
            Glibc.close(socket)
            throw .endpoint(call: "listen", errno: code)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        guard named == 0 else {
            let code = errno
            Glibc.close(socket)
            throw .endpoint(call: "getsockname", errno: code)
        }
        listener = socket
        port = UInt16(bigEndian: address.sin_port)
    }

    /// `127.0.0.1:PORT`, the only Host header accepted.
    var authority: String { "127.0.0.1:\(port)" }

    /// Accepts every pending connection.
    func acceptPending(now: Int64) {
        while true {
            let socket = accept(listener, nil, nil)
            guard socket >= 0 else {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            // accept4 is not in the Glibc module; the child was already spawned, so close-on-exec is for tidiness.
            _ = fcntl(socket, F_SETFD, FD_CLOEXEC)
            _ = fcntl(socket, F_SETFL, fcntl(socket, F_GETFL) | O_NONBLOCK)
            // Full: the oldest goes, so that idle connections cannot lock out an SDK that sends its request at once.
            if connections.count >= Self.maximumConnections { drop(0) }
            connections.append(Connection(socket: socket, deadline: now + Self.requestTimeout))
        }
    }

    /// Reads what connection `index` has sent; `false` when the peer closed or failed.
    func receive(_ index: Int) -> Bool {
        let room = EndpointProtocol.maximumRequestSize + 1 - connections[index].received.count
        guard room > 0 else { return true }
        var buffer = [UInt8](repeating: 0, count: room)
        let count = recv(connections[index].socket, &buffer, room, Int32(MSG_DONTWAIT))
        if count > 0 {
            connections[index].received += buffer[..<count]
            return true
        }
        return count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
    }

    /// Sends `bytes` (as much as the socket takes now: responses are small) and closes connection `index`.
    func answer(_ index: Int, _ bytes: [UInt8]) {
        sendAndClose(detach(index), bytes)
    }

    /// Takes connection `index` out of the endpoint's care, open: its request is complete and its answer comes
    /// later (``sendAndClose(_:_:)``).
    func detach(_ index: Int) -> Int32 {
        connections.remove(at: index).socket
    }

    func drop(_ index: Int) {
        Glibc.close(connections[index].socket)
        connections.remove(at: index)
    }

    /// Closes the listener and every connection: the endpoint is gone.
    func close() {
        while !connections.isEmpty { drop(connections.count - 1) }
        Glibc.close(listener)
    }
}

/// Sends `bytes` on `socket` (as much as it takes now: responses are small) and closes it.
func sendAndClose(_ socket: Int32, _ bytes: [UInt8]) {
    _ = bytes.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
    Glibc.close(socket)
}

/// Milliseconds on the monotonic clock.
func monotonicMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}
