import Foundation

/// The loopback server of `Tests/support/http_test_server.py`, started once per test process.
/// It exits when its stdin closes, which the kernel does when this process ends.
struct TestServer: Sendable {
    let httpPort: Int
    let httpsPort: Int
    /// A listener that never completes a connection.
    let stuckPort: Int
    let caPath: String
    /// A self-signed certificate that did not issue the server's.
    let otherCAPath: String
    /// A directory laid out like Debian's `/etc/ssl/certs`: the server's certificate under its subject-hash
    /// name, and `otherCAPath` as `ca-certificates.crt`.
    let caDirectory: String

    var http: String { "http://127.0.0.1:\(httpPort)" }
    var https: String { "https://127.0.0.1:\(httpsPort)" }

    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    /// The shared server; a global `let` is initialised once, thread-safely.
    static func shared() throws -> TestServer {
        try sharedServer.get()
    }

    static func start() throws -> TestServer {
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("support/http_test_server.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        serverKeepAlive = (process, input)
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw StartError(description: "the test server exited before it was ready") }
            line.append(chunk)
        }
        struct Ready: Decodable {
            let http: Int
            let https: Int
            let stuck: Int
            let ca: String
            let other_ca: String
            let ca_dir: String
        }
        let ready = try JSONDecoder().decode(Ready.self, from: line)
        return TestServer(
            httpPort: ready.http, httpsPort: ready.https, stuckPort: ready.stuck, caPath: ready.ca,
            otherCAPath: ready.other_ca, caDirectory: ready.ca_dir)
    }

    /// A loopback port with nothing listening: bound, then closed again.
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StartError(description: "socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(fd, generic, length) == 0 && getsockname(fd, generic, &length) == 0
            }
        }
        guard bound else { throw StartError(description: "bind failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

private let sharedServer = Result { try TestServer.start() }
// Holding the pipe open keeps the server alive for the whole test process.
nonisolated(unsafe) private var serverKeepAlive: (Process, Pipe)?
