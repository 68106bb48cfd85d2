import ElevateHTTP
import Foundation
import Testing

/// What `/echo` on the test server saw.
struct Echo: Decodable {
    let method: String
    let path: String
    let headers: [[String]]
    let body: String

    var bodyBytes: [UInt8] { Array(Data(base64Encoded: body) ?? Data()) }

    func header(_ name: String) -> String? {
        headers.first { $0.first?.lowercased() == name.lowercased() }?.last
    }

    init(_ response: HTTPResponse) throws {
        self = try JSONDecoder().decode(Echo.self, from: Data(response.body))
    }
}

let plain = HTTPOptions(proxy: .none, connectTimeoutMilliseconds: 2_000, timeoutMilliseconds: 10_000)

@Suite("Requests and responses over loopback")
struct HTTPClientTests {
    let client = HTTPClient()

    @Test("a GET sends its headers and no body, and the response headers are found in any case")
    func getWithHeaders() throws {
        let server = try TestServer.shared()
        let request = HTTPRequest(
            method: .get, url: "\(server.http)/echo?x=1",
            headers: ["X-Test": "value one", "Accept": "application/xml"]
        )
        let response = try client.send(request, options: plain)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.headers["CONTENT-TYPE"] == "application/json")
        let echo = try Echo(response)
        #expect(echo.method == "GET")
        #expect(echo.path == "/echo?x=1")
        #expect(echo.header("x-test") == "value one")
        #expect(echo.header("accept") == "application/xml")
        #expect(echo.header("content-length") == nil)
        #expect(echo.bodyBytes.isEmpty)
    }

    @Test("a POST sends binary body bytes exactly, with no Expect or default Content-Type")
    func postBinaryBody() throws {
        let server = try TestServer.shared()
        let body: [UInt8] = [0, 1, 2, 0xFF, 0x0D, 0x0A] + Array(repeating: 0x41, count: 5_000)
        let response = try client.send(
            HTTPRequest(method: .post, url: "\(server.http)/echo", body: body), options: plain
        )
        let echo = try Echo(response)
        #expect(echo.method == "POST")
        #expect(echo.bodyBytes == body)
        #expect(echo.header("content-length") == "\(body.count)")
        #expect(echo.header("expect") == nil)
        #expect(echo.header("content-type") == nil)
    }

    @Test("a form POST carries the caller's Content-Type")
    func postForm() throws {
        let server = try TestServer.shared()
        let form = "Action=AssumeRole&Version=2011-06-15"
        let request = HTTPRequest(
            method: .post, url: "\(server.http)/echo",
            headers: ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8"],
            body: Array(form.utf8)
        )
        let echo = try Echo(try client.send(request, options: plain))
        #expect(echo.header("content-type") == "application/x-www-form-urlencoded; charset=utf-8")
        #expect(String(decoding: echo.bodyBytes, as: UTF8.self) == form)
    }

    @Test("a PUT with an empty body sends Content-Length 0, as the IMDS token request needs")
    func putEmptyBody() throws {
        let server = try TestServer.shared()
        let request = HTTPRequest(
            method: .put, url: "\(server.http)/echo",
            headers: ["X-aws-ec2-metadata-token-ttl-seconds": "21600"]
        )
        let echo = try Echo(try client.send(request, options: plain))
        #expect(echo.method == "PUT")
        #expect(echo.header("content-length") == "0")
        #expect(echo.header("x-aws-ec2-metadata-token-ttl-seconds") == "21600")
    }

    @Test("a PUT and a DELETE send their method and body")
    func putAndDelete() throws {
        let server = try TestServer.shared()
        for method in [HTTPMethod.put, .delete, HTTPMethod(rawValue: "PATCH")] {
            let echo = try Echo(try client.send(
                HTTPRequest(method: method, url: "\(server.http)/echo", body: Array("payload".utf8)), options: plain
            ))
            #expect(echo.method == method.rawValue)
            #expect(echo.bodyBytes == Array("payload".utf8))
        }
    }

    @Test("a header with an empty value is sent empty, not dropped")
    func emptyHeaderValue() throws {
        let server = try TestServer.shared()
        let echo = try Echo(try client.send(
            HTTPRequest(method: .get, url: "\(server.http)/echo", headers: ["X-Empty": ""]), options: plain
        ))
        #expect(echo.header("x-empty") == "")
    }

    @Test("a HEAD request returns the status and headers without a body")
    func head() throws {
        let server = try TestServer.shared()
        let response = try client.send(HTTPRequest(method: .head, url: "\(server.http)/headers"), options: plain)
        #expect(response.status == 200)
        #expect(response.headers["x-single"] == "one")
        #expect(response.body.isEmpty)
    }

    @Test("error statuses are responses, with their headers and body", arguments: [400, 403, 404, 500, 503])
    func errorStatuses(status: Int) throws {
        let server = try TestServer.shared()
        let response = try client.send(HTTPRequest(method: .get, url: "\(server.http)/status/\(status)"), options: plain)
        #expect(response.status == status)
        #expect(response.headers["x-status"] == "\(status)")
        #expect(String(decoding: response.body, as: UTF8.self) == "status \(status)")
    }

    @Test("repeated response headers keep every value in order")
    func repeatedHeaders() throws {
        let server = try TestServer.shared()
        let response = try client.send(HTTPRequest(method: .get, url: "\(server.http)/headers"), options: plain)
        #expect(response.headers.values(for: "x-multi") == ["a", "b"])
        #expect(response.headers["X-Multi"] == "a")
        #expect(response.headers["x-missing"] == nil)
    }

    @Test("a redirect is returned as is, never followed")
    func redirectNotFollowed() throws {
        let server = try TestServer.shared()
        let response = try client.send(HTTPRequest(method: .get, url: "\(server.http)/redirect"), options: plain)
        #expect(response.status == 302)
        #expect(response.headers["location"] == "/echo")
        #expect(String(decoding: response.body, as: UTF8.self) == "moved")
    }

    @Test("concurrent requests from many tasks all succeed")
    func concurrentRequests() async throws {
        let server = try TestServer.shared()
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try HTTPClient().send(
                        HTTPRequest(method: .get, url: "\(server.http)/status/\(200 + index)"), options: plain
                    ).status
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.sorted() == Array(200..<208))
    }
}

@Suite("Transport failures")
struct HTTPFailureTests {
    let client = HTTPClient()

    @Test("a closed port is a transient connect failure")
    func connectRefused() throws {
        let port = try TestServer.closedPort()
        #expect {
            try client.send(HTTPRequest(method: .get, url: "http://127.0.0.1:\(port)/"), options: plain)
        } throws: { error in
            guard case let .connectFailed(host, _) = error as? HTTPError else { return false }
            return host == "127.0.0.1:\(port)" && (error as? HTTPError)?.isTransient == true
        }
    }

    @Test("a server slower than the timeout gives a timeout error, promptly")
    func slowServerTimesOut() throws {
        let server = try TestServer.shared()
        let options = HTTPOptions(proxy: .none, connectTimeoutMilliseconds: 2_000, timeoutMilliseconds: 300)
        let clock = ContinuousClock()
        let start = clock.now
        #expect {
            try client.send(HTTPRequest(method: .get, url: "\(server.http)/slow/5000"), options: options)
        } throws: { error in
            guard case let .timedOut(_, duringConnect, _) = error as? HTTPError else { return false }
            return !duringConnect
        }
        #expect(clock.now - start < .seconds(3))
    }

    @Test("a server that never completes the connection gives a transient connect timeout, promptly")
    func connectTimeout() throws {
        let server = try TestServer.shared()
        let options = HTTPOptions(proxy: .none, connectTimeoutMilliseconds: 300, timeoutMilliseconds: 10_000)
        let clock = ContinuousClock()
        let start = clock.now
        #expect {
            try client.send(HTTPRequest(method: .get, url: "http://127.0.0.1:\(server.stuckPort)/"), options: options)
        } throws: { error in
            guard case let .timedOut(_, duringConnect, _) = error as? HTTPError else { return false }
            return duringConnect && (error as? HTTPError)?.isTransient == true
        }
        #expect(clock.now - start < .seconds(3))
    }

    @Test("a body over the limit is refused, with or without Content-Length", arguments: ["bytes", "chunked"])
    func bodyOverLimit(route: String) throws {
        let server = try TestServer.shared()
        let options = HTTPOptions(proxy: .none, timeoutMilliseconds: 10_000, maxResponseBytes: 1_000)
        #expect(throws: HTTPError.responseTooLarge(host: "127.0.0.1:\(server.httpPort)", limit: 1_000)) {
            try client.send(HTTPRequest(method: .get, url: "\(server.http)/\(route)/200000"), options: options)
        }
    }

    @Test("a body exactly at the limit is accepted", arguments: ["bytes", "chunked"])
    func bodyAtLimit(route: String) throws {
        let server = try TestServer.shared()
        let options = HTTPOptions(proxy: .none, timeoutMilliseconds: 10_000, maxResponseBytes: 1_000)
        let response = try client.send(HTTPRequest(method: .get, url: "\(server.http)/\(route)/1000"), options: options)
        #expect(response.body.count == 1_000)
    }

    @Test("HTTPS succeeds with the server's CA bundle")
    func tlsWithBundle() throws {
        let server = try TestServer.shared()
        var options = plain
        options.caBundlePath = server.caPath
        let response = try client.send(HTTPRequest(method: .get, url: "\(server.https)/echo"), options: options)
        #expect(response.status == 200)
    }

    @Test("HTTPS to a certificate outside the trusted CAs is a TLS failure")
    func tlsUntrusted() throws {
        let server = try TestServer.shared()
        #expect {
            try client.send(HTTPRequest(method: .get, url: "\(server.https)/echo"), options: plain)
        } throws: { error in
            guard case .tlsFailed = error as? HTTPError else { return false }
            return (error as? HTTPError)?.isTransient == false
        }
    }

    @Test("a CA bundle path that does not exist is a TLS failure, not a silent fallback")
    func tlsMissingBundle() throws {
        let server = try TestServer.shared()
        var options = plain
        options.caBundlePath = "/nonexistent/ca-bundle.pem"
        #expect {
            try client.send(HTTPRequest(method: .get, url: "\(server.https)/echo"), options: options)
        } throws: { error in
            guard case .tlsFailed = error as? HTTPError else { return false }
            return true
        }
    }

    @Test(
        "URLs other than absolute http and https are refused before sending",
        arguments: ["ftp://127.0.0.1/x", "file:///etc/passwd", "127.0.0.1/echo", "", "http://", "http://a b/"]
    )
    func invalidURLs(url: String) {
        #expect {
            try client.send(HTTPRequest(method: .get, url: url), options: plain)
        } throws: { error in
            guard case .invalidRequest = error as? HTTPError else { return false }
            return true
        }
    }

    @Test("a header value with CR or LF is refused, and the message never quotes the value")
    func headerInjection() {
        let request = HTTPRequest(
            method: .get, url: "http://127.0.0.1:1/",
            headers: ["X-Amz-Security-Token": "secret-token\r\nX-Injected: 1"]
        )
        #expect {
            try client.send(request, options: plain)
        } throws: { error in
            guard case .invalidRequest = error as? HTTPError else { return false }
            return !"\(error)".contains("secret-token") && "\(error)".contains("X-Amz-Security-Token")
        }
    }

    @Test("bad methods, header names and options are refused")
    func invalidParts() {
        let url = "http://127.0.0.1:1/"
        let cases: [(HTTPRequest, HTTPOptions)] = [
            (HTTPRequest(method: HTTPMethod(rawValue: "GE T"), url: url), plain),
            (HTTPRequest(method: HTTPMethod(rawValue: ""), url: url), plain),
            (HTTPRequest(method: .get, url: url, headers: ["Bad Name": "x"]), plain),
            (HTTPRequest(method: .get, url: url, headers: ["Bad:Name": "x"]), plain),
            (HTTPRequest(method: .head, url: url, body: [1]), plain),
            (HTTPRequest(method: .get, url: url), HTTPOptions(proxy: .none, timeoutMilliseconds: 0)),
            (HTTPRequest(method: .get, url: url), HTTPOptions(proxy: .none, connectTimeoutMilliseconds: -1)),
            (HTTPRequest(method: .get, url: url), HTTPOptions(proxy: .none, maxResponseBytes: 0)),
            (HTTPRequest(method: .get, url: url), HTTPOptions(proxy: .none, caBundlePath: "")),
        ]
        for (request, options) in cases {
            #expect {
                try client.send(request, options: options)
            } throws: { error in
                guard case .invalidRequest = error as? HTTPError else { return false }
                return true
            }
        }
    }

    @Test("error messages name the host but never the URL's user information, path, headers or body")
    func messagesCarryNoSecrets() throws {
        let port = try TestServer.closedPort()
        let request = HTTPRequest(
            method: .post, url: "http://user:hunter2@127.0.0.1:\(port)/path?X-Amz-Signature=sig123",
            headers: ["Authorization": "AWS4-HMAC-SHA256 Signature=abc"], body: Array("SecretAccessKey=xyz".utf8)
        )
        do {
            _ = try client.send(request, options: plain)
            Issue.record("expected a failure")
        } catch {
            let message = "\(error)"
            #expect(message.contains("127.0.0.1:\(port)"))
            for secret in ["hunter2", "sig123", "Signature=abc", "xyz", "/path"] {
                #expect(!message.contains(secret))
            }
        }
        let shown = "\(request) \(String(reflecting: request))"
        for secret in ["hunter2", "sig123", "Signature=abc", "xyz"] {
            #expect(!shown.contains(secret))
        }
    }
}
