import ElevateHTTP
import Foundation
import TestSupport
import Testing

/// Whether libcurl is mapped can only be observed in a process where nothing else has sent a
/// request yet, and proxy variables must not leak into parallel tests: both run in a child copy
/// of this test binary (see `ChildProcess`).
@Suite("Lazy loading and proxy policy, in a child process")
struct LazyLoadingTests {
    @Test("libcurl is mapped only once the first request is sent, and libxml2 not at all")
    func curlIsLoadedOnFirstSend() throws {
        let port = try TestServer.closedPort()
        let child = try ChildProcess.run(
            scenario: "lazy", filter: "ElevateHTTPTests.ChildScenarios",
            environment: ["ELEVATE_CHILD_DEAD_PORT": "\(port)"]
        )
        #expect(child.status == 0, "\(child.output)")
        #expect(child.report == [
            "curl at start: false",
            "curl after building a request: false",
            "send: connectFailed",
            "curl after send: true",
            "xml after send: false",
        ], "\(child.output)")
    }

    @Test("'.none' ignores proxy variables; '.environment' honours them")
    func proxyPolicy() throws {
        let server = try TestServer.shared()
        let dead = try TestServer.closedPort()
        let child = try ChildProcess.run(
            scenario: "proxy", filter: "ElevateHTTPTests.ChildScenarios",
            environment: [
                // A live proxy for http (the test server answers absolute-form requests), a dead one for https.
                "http_proxy": "http://127.0.0.1:\(server.httpPort)",
                "HTTPS_PROXY": "http://127.0.0.1:\(dead)",
                "ELEVATE_CHILD_DEAD_PORT": "\(dead)",
                "ELEVATE_CHILD_HTTP_PORT": "\(server.httpPort)",
                "ELEVATE_CHILD_HTTPS_PORT": "\(server.httpsPort)",
                "ELEVATE_CHILD_CA": server.caPath,
            ]
        )
        #expect(child.status == 0, "\(child.output)")
        #expect(child.report == [
            "none, http, direct: 200 /echo",
            "none, http, dead origin: connectFailed",
            "environment, http, dead origin via proxy: 200 http://127.0.0.1:\(dead)/echo",
            "none, https, dead proxy: 200",
            "environment, https, dead proxy: connectFailed",
        ], "\(child.output)")
    }
}

/// Runs only inside the child started by `LazyLoadingTests`.
@Suite("Child scenarios", .enabled(if: ChildProcess.scenario != nil))
struct ChildScenarios {
    @Test("the scenario named by ELEVATE_CHILD_SCENARIO")
    func scenario() throws {
        let environment = ProcessInfo.processInfo.environment
        let dead = environment["ELEVATE_CHILD_DEAD_PORT"] ?? "1"
        var report: [String] = []
        func outcome(_ request: HTTPRequest, _ options: HTTPOptions, showPath: Bool = false) -> String {
            do {
                let response = try HTTPClient().send(request, options: options)
                guard showPath else { return "\(response.status)" }
                let echo = try JSONDecoder().decode(Echo.self, from: Data(response.body))
                return "\(response.status) \(echo.path)"
            } catch let error as HTTPError {
                return name(of: error)
            } catch {
                return "unexpected \(error)"
            }
        }
        switch ChildProcess.scenario {
        case "lazy":
            report.append("curl at start: \(HTTPClient.isLibraryLoaded)")
            let request = HTTPRequest(method: .get, url: "http://127.0.0.1:\(dead)/", headers: ["A": "b"])
            let options = HTTPOptions(proxy: .none, timeoutMilliseconds: 5_000)
            _ = "\(request) \(options) \(HTTPError.connectFailed(host: "h", detail: "d"))"
            report.append("curl after building a request: \(HTTPClient.isLibraryLoaded)")
            report.append("send: \(outcome(request, options))")
            report.append("curl after send: \(HTTPClient.isLibraryLoaded)")
            let maps = (try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8)) ?? ""
            report.append("xml after send: \(maps.contains("libxml2"))")
        case "proxy":
            let live = environment["ELEVATE_CHILD_HTTP_PORT"] ?? "1"
            let secure = environment["ELEVATE_CHILD_HTTPS_PORT"] ?? "1"
            let none = HTTPOptions(proxy: .none, timeoutMilliseconds: 5_000, caBundlePath: environment["ELEVATE_CHILD_CA"])
            var viaEnvironment = none
            viaEnvironment.proxy = .environment
            report.append("none, http, direct: "
                + outcome(HTTPRequest(method: .get, url: "http://127.0.0.1:\(live)/echo"), none, showPath: true))
            report.append("none, http, dead origin: "
                + outcome(HTTPRequest(method: .get, url: "http://127.0.0.1:\(dead)/echo"), none))
            report.append("environment, http, dead origin via proxy: "
                + outcome(HTTPRequest(method: .get, url: "http://127.0.0.1:\(dead)/echo"), viaEnvironment, showPath: true))
            report.append("none, https, dead proxy: "
                + outcome(HTTPRequest(method: .get, url: "https://127.0.0.1:\(secure)/echo"), none))
            report.append("environment, https, dead proxy: "
                + outcome(HTTPRequest(method: .get, url: "https://127.0.0.1:\(secure)/echo"), viaEnvironment))
        default:
            report.append("unknown scenario")
        }
        try ChildProcess.writeReport(report)
    }

    private func name(of error: HTTPError) -> String {
        switch error {
        case .libraryUnavailable: "libraryUnavailable"
        case .invalidRequest: "invalidRequest"
        case .cannotResolveHost: "cannotResolveHost"
        case .connectFailed: "connectFailed"
        case .timedOut: "timedOut"
        case .tlsFailed: "tlsFailed"
        case .responseTooLarge: "responseTooLarge"
        case .transferFailed: "transferFailed"
        }
    }
}
