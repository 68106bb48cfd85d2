import Foundation
import TestSupport

/// One process of `Tests/support/imds_emulator.py` on a free loopback port, for one test.
///
/// It is stopped when the value is released, and exits by itself if this test process dies (its stdin closes).
final class Emulator: @unchecked Sendable {
    /// One request the emulator saw.
    struct Request: Equatable, CustomStringConvertible {
        var method: String
        var path: String
        var hadToken: Bool
        /// The status it answered, `nil` if it never answered.
        var status: Int?

        var description: String { "\(method) \(path) token=\(hadToken) → \(status.map(String.init) ?? "none")" }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let role = "elevate-instance-role"
    static let accessKeyId = "ASIAIMDSEXAMPLEKEY01"
    static let secretAccessKey = "imds/secret+Key/never-shown-0123456789abc"
    static let sessionToken = "IQoJb3JpZ2luX2VjEIMDSSESSIONTOKEN/never+shown=="
    static let expiration = "2031-05-06T07:08:09Z"
    static let instanceId = "i-0123456789abcdef0"
    static let region = "us-east-1"

    let port: Int
    private let process: Process
    private let input: Pipe

    /// The base URL to give the plugin.
    var endpoint: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, process: Process, input: Pipe) {
        self.port = port
        self.process = process
        self.input = input
    }

    deinit {
        try? input.fileHandleForWriting.close()
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Starts an emulator loaded with the example credentials, in mode `normal`.
    static func start() throws -> Emulator {
        let (port, process, input) = try ScriptPeer.start("imds_emulator.py", name: "IMDS emulator")
        let emulator = Emulator(port: port, process: process, input: input)
        try emulator.control("POST", "/_emulator/credentials", json: [
            "role": role, "AccessKeyId": accessKeyId, "SecretAccessKey": secretAccessKey,
            "Token": sessionToken, "Expiration": expiration,
        ])
        return emulator
    }

    /// Switches the fault mode (see the emulator's docstring).
    func mode(_ mode: String, delay: Double = 0, count: Int = 1) throws {
        try control("POST", "/_emulator/mode", json: ["mode": mode, "delay": delay, "count": count])
    }

    /// Every IMDS request since the start.
    func requests() throws -> [Request] {
        let body = try control("GET", "/_emulator/requests")
        guard let rows = try JSONSerialization.jsonObject(with: body) as? [[Any]] else {
            throw Failure(description: "unexpected request log")
        }
        return rows.map { row in
            Request(
                method: row[0] as? String ?? "", path: row[1] as? String ?? "", hadToken: row[2] as? Bool ?? false,
                status: row[3] as? Int
            )
        }
    }

    /// Every IMDSv2 token handed out since the start.
    func tokens() throws -> [String] {
        try JSONDecoder().decode([String].self, from: control("GET", "/_emulator/tokens"))
    }

    @discardableResult
    private func control(_ method: String, _ path: String, json: [String: Any]? = nil) throws -> Data {
        let body = try json.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        let (status, answer) = try LoopbackHTTP.exchange(port: port, method: method, path: path, body: body)
        guard status == 200 else {
            throw Failure(description: "emulator control \(method) \(path) answered \(status)")
        }
        return answer
    }
}

/// A bare HTTP/1.0 exchange over a loopback socket: the control API needs nothing more, and no proxy setting of
/// the environment can get in the way.
enum LoopbackHTTP {
    static func exchange(port: Int, method: String, path: String, body: Data) throws -> (Int, Data) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Emulator.Failure(description: "socket failed") }
        defer { close(fd) }
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { throw Emulator.Failure(description: "cannot connect to the emulator on \(port)") }
        let head = "\(method) \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n\r\n"
        var request = Data(head.utf8)
        request.append(body)
        try request.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let written = send(fd, bytes.baseAddress! + offset, bytes.count - offset, 0)
                guard written > 0 else { throw Emulator.Failure(description: "send failed") }
                offset += written
            }
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            response.append(contentsOf: buffer[0..<count])
        }
        guard let split = response.range(of: Data("\r\n\r\n".utf8)),
              let statusLine = String(data: response[..<split.lowerBound], encoding: .utf8)?
                .split(separator: "\r\n").first,
              let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "")
        else { throw Emulator.Failure(description: "malformed answer from the emulator") }
        return (status, Data(response[split.upperBound...]))
    }

    /// A loopback port with nothing listening: bound, then closed again.
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Emulator.Failure(description: "socket failed") }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(fd, generic, length) == 0 && getsockname(fd, generic, &length) == 0
            }
        }
        guard bound else { throw Emulator.Failure(description: "bind failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }
}
