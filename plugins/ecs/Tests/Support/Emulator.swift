import ElevateHTTP
import Foundation
import TestSupport

/// One process of `Tests/support/ecs_emulator.py` on a free loopback port, for one test.
///
/// It is stopped when the value is released, and exits by itself if this test process dies (its stdin closes).
final class Emulator: @unchecked Sendable {
    /// One request the emulator saw.
    struct Request: Equatable {
        var method: String
        var path: String
        var authorization: String?
        /// The status it answered, `nil` if it never answered.
        var status: Int?
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let accessKeyId = "ASIAECSEXAMPLEKEY001"
    static let secretAccessKey = "ecs/secret+Key/never-shown-0123456789abcd"
    static let sessionToken = "IQoJb3JpZ2luX2VjECSSESSIONTOKEN/never+shown=="
    static let expiration = "2031-05-06T07:08:09Z"
    static let path = "/v1/credentials"

    let port: Int
    private let process: Process
    private let input: Pipe

    /// The full URI to give the plugin.
    var url: String { "http://127.0.0.1:\(port)\(Self.path)" }

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

    /// Starts an emulator loaded with the example credentials, in mode `normal`, requiring `token` if given.
    static func start(token: String? = nil) throws -> Emulator {
        let (port, process, input) = try ScriptPeer.start("ecs_emulator.py", name: "ECS emulator")
        let emulator = Emulator(port: port, process: process, input: input)
        try emulator.credentials([
            "AccessKeyId": accessKeyId, "SecretAccessKey": secretAccessKey, "Token": sessionToken,
            "Expiration": expiration, "RoleArn": "arn:aws:iam::123456789012:role/task",
        ])
        if let token { try emulator.control("POST", "/_emulator/config", json: ["token": token]) }
        return emulator
    }

    /// Replaces the document served.
    func credentials(_ document: [String: Any]) throws {
        try control("POST", "/_emulator/credentials", json: document)
    }

    /// Switches the fault mode (see the emulator's docstring).
    func mode(_ mode: String, count: Int = 1, delay: Double = 0, status: Int = 200) throws {
        try control("POST", "/_emulator/mode", json: ["mode": mode, "count": count, "delay": delay, "status": status])
    }

    /// Every request to the endpoint since the start.
    func requests() throws -> [Request] {
        let body = try control("GET", "/_emulator/requests")
        guard let rows = try JSONSerialization.jsonObject(with: Data(body)) as? [[Any]] else {
            throw Failure(description: "unexpected request log")
        }
        return rows.map { row in
            Request(
                method: row[0] as? String ?? "", path: row[1] as? String ?? "", authorization: row[2] as? String,
                status: row[3] as? Int)
        }
    }

    @discardableResult
    private func control(_ method: String, _ path: String, json: [String: Any]? = nil) throws -> [UInt8] {
        let body = try json.map { [UInt8](try JSONSerialization.data(withJSONObject: $0)) } ?? []
        let request = HTTPRequest(
            method: HTTPMethod(rawValue: method), url: "http://127.0.0.1:\(port)\(path)",
            headers: ["Content-Type": "application/json"], body: body)
        let response = try HTTPClient().send(request, options: HTTPOptions(proxy: .none))
        guard response.status == 200 else {
            throw Failure(description: "emulator control \(method) \(path) answered \(response.status)")
        }
        return response.body
    }
}
