import ElevateCore
import Foundation
import Testing

@testable import ElevateCommands

@Suite("exec --server: the endpoint's HTTP")
struct EndpointProtocolTests {
    private let host = Array("127.0.0.1:4242".utf8)
    private let path = Array("/aws-elevate/credentials".utf8)
    private let token = Array(String(repeating: "ab", count: 32).utf8)

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    private func sdkRequest(
        host: String = "127.0.0.1:4242", authorization: String? = nil, method: String = "GET",
        target: String = "/aws-elevate/credentials"
    ) -> [UInt8] {
        let auth = authorization ?? String(repeating: "ab", count: 32)
        return bytes(
            "\(method) \(target) HTTP/1.1\r\nHost: \(host)\r\nAccept-Encoding: identity\r\n"
                + "User-Agent: Botocore/1.0\r\nAuthorization: \(auth)\r\n\r\n")
    }

    private func decide(_ raw: [UInt8]) throws -> EndpointProtocol.Decision? {
        guard case .request(let request) = EndpointProtocol.parse(raw) else { return nil }
        return try EndpointProtocol.decide(request, host: host, path: path, token: token)
    }

    @Test("an SDK's request with the token is served")
    func served() throws {
        #expect(try decide(sdkRequest()) == .serve)
    }

    @Test("a request head is incomplete until its blank line, at any split")
    func incomplete() {
        let full = sdkRequest()
        for cut in 0..<(full.count - 1) {
            #expect(EndpointProtocol.parse(Array(full[..<cut])) == .incomplete)
        }
    }

    @Test("a missing token is 401, a wrong one, one of another length or two of them 403")
    func tokens() throws {
        var missing = bytes("GET /aws-elevate/credentials HTTP/1.1\r\nHost: 127.0.0.1:4242\r\n\r\n")
        #expect(try decide(missing) == .refuse(status: 401, reason: "authorization required"))
        let wrong = String(repeating: "ab", count: 31) + "ac"
        #expect(try decide(sdkRequest(authorization: wrong)) == .refuse(status: 403, reason: "authorization refused"))
        #expect(try decide(sdkRequest(authorization: "ab")) == .refuse(status: 403, reason: "authorization refused"))
        #expect(try decide(sdkRequest(authorization: "")) == .refuse(status: 403, reason: "authorization refused"))
        #expect(
            try decide(sdkRequest(authorization: String(repeating: "ab", count: 33)))
                == .refuse(status: 403, reason: "authorization refused"))
        missing = sdkRequest()
        missing.removeLast(2)
        missing += bytes("Authorization: \(String(repeating: "ab", count: 32))\r\n\r\n")
        #expect(try decide(missing) == .refuse(status: 403, reason: "authorization refused"))
    }

    @Test("another Host (DNS rebinding), none, or two are refused before the token is looked at")
    func hosts() throws {
        for other in ["evil.example:4242", "localhost:4242", "127.0.0.1", "127.0.0.1:4243", "127.0.0.1:4242 x"] {
            #expect(try decide(sdkRequest(host: other)) == .refuse(status: 403, reason: "host not allowed"))
        }
        let none = bytes("GET /aws-elevate/credentials HTTP/1.1\r\nAuthorization: x\r\n\r\n")
        #expect(try decide(none) == .refuse(status: 403, reason: "host not allowed"))
        var two = sdkRequest()
        two.removeLast(2)
        two += bytes("Host: 127.0.0.1:4242\r\n\r\n")
        #expect(try decide(two) == .refuse(status: 403, reason: "host not allowed"))
    }

    @Test("only GET of the one path is served")
    func methodAndPath() throws {
        #expect(try decide(sdkRequest(method: "POST")) == .refuse(status: 405, reason: "method not allowed"))
        #expect(try decide(sdkRequest(method: "HEAD")) == .refuse(status: 405, reason: "method not allowed"))
        for target in [
            "/", "/aws-elevate/credentials/", "/aws-elevate/credentials?x=1",
            "http://127.0.0.1:4242/aws-elevate/credentials",
        ] {
            #expect(try decide(sdkRequest(target: target)) == .refuse(status: 404, reason: "not found"))
        }
    }

    @Test("header names are case-insensitive and values lose the blanks around them")
    func headerForms() throws {
        let raw = bytes(
            "GET /aws-elevate/credentials HTTP/1.1\r\nhOsT:\t127.0.0.1:4242  \r\n"
                + "AUTHORIZATION:   \(String(repeating: "ab", count: 32))\t\r\n\r\n")
        #expect(try decide(raw) == .serve)
    }

    @Test("malformed heads are refused: bare LF, folding, bad names, control bytes, bodies, other versions")
    func malformed() {
        let cases: [(String, Int)] = [
            ("GET /x HTTP/1.1\nHost: a\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\nHost: a\r\n continued\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\nBad Name: a\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\n: a\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\nHost: a\u{7F}b\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\nContent-Length: 5\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\nHost: a\r\n\r\nextra", 400),
            ("GET  /x HTTP/1.1\r\n\r\n", 400),
            ("GET /x\r\n\r\n", 400),
            ("G(T /x HTTP/1.1\r\n\r\n", 400),
            ("GET /x HTTP/2.0\r\n\r\n", 505),
            ("\r\n\r\n", 400),
        ]
        for (text, status) in cases {
            guard case .refused(let got, _) = EndpointProtocol.parse(bytes(text)) else {
                Issue.record("accepted: \(text.debugDescription)")
                continue
            }
            #expect(got == status, "\(text.debugDescription)")
        }
        let invalidUTF8: [UInt8] = bytes("GET /x HTTP/1.1\r\nHost: ") + [0xFF, 0xFE] + bytes("\r\n\r\n")
        if case .request(let request) = EndpointProtocol.parse(invalidUTF8) {
            #expect(request.values("host") == [[0xFF, 0xFE]])
        }
    }

    @Test("a head that reaches the size limit without ending is refused with 431")
    func tooLarge() {
        let flood = bytes("GET /x HTTP/1.1\r\nX: ") + Array(repeating: UInt8(ascii: "a"), count: 9000)
        #expect(EndpointProtocol.parse(flood) == .refused(status: 431, reason: "request head too large"))
        let exact =
            bytes("GET /x HTTP/1.1\r\nX: ")
            + Array(
                repeating: UInt8(ascii: "a"),
                count: EndpointProtocol.maximumRequestSize) + bytes("\r\n\r\n")
        #expect(EndpointProtocol.parse(exact) == .refused(status: 431, reason: "request head too large"))
    }

    @Test("random bytes never crash the parser")
    func randomBytes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let count = Int.random(in: 0..<300, using: &generator)
            var raw = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if Bool.random(using: &generator) { raw += bytes("\r\n\r\n") }
            _ = EndpointProtocol.parse(raw)
        }
    }

    @Test("the credentials document has the four fields of the container format, JSON-escaped")
    func document() throws {
        let credentials = Credentials(accessKeyId: "ASIA\"x", secretAccessKey: "s\\e\n", sessionToken: "t")
        let body = EndpointProtocol.credentialsBody(
            credentials, token: "t\u{1}", expiration: Date(timeIntervalSince1970: 1_893_456_000))
        #expect(
            body == "{\"AccessKeyId\": \"ASIA\\\"x\", \"SecretAccessKey\": \"s\\\\e\\n\", \"Token\": \"t\\u0001\", "
                + "\"Expiration\": \"2030-01-01T00:00:00Z\"}\n")
        let parsed = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String]
        #expect(
            parsed == [
                "AccessKeyId": "ASIA\"x", "SecretAccessKey": "s\\e\n", "Token": "t\u{1}",
                "Expiration": "2030-01-01T00:00:00Z",
            ])
    }

    @Test("a response has its status, a JSON body of the stated length, no caching and a closed connection")
    func response() {
        let text = String(decoding: EndpointProtocol.response(status: 405, body: "{}\n"), as: UTF8.self)
        #expect(
            text == "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json\r\nContent-Length: 3\r\n"
                + "Cache-Control: no-store\r\nConnection: close\r\nAllow: GET\r\n\r\n{}\n")
    }
}
