import ElevateHTTP
import Foundation
import TestSupport
import Testing

/// libcurl's built-in CA directory (`/etc/ssl/certs` on Debian) is fixed when libcurl is compiled. The child runs
/// in a user and mount namespace of its own where the test server's `caDirectory` is mounted over that path, so a
/// certificate the directory trusts stands for one the system trusts; nothing outside the child sees the mount.
@Suite("The CA bundle replaces the system's CAs")
struct CABundleTests {
    static let systemCADirectory = "/etc/ssl/certs"

    /// Whether this machine lets an unprivileged process make a user and mount namespace.
    static let namespacesAvailable: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["unshare", "--user", "--map-root-user", "--mount", "true"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    @Test(
        "a certificate trusted only by the system's CA directory is refused when a CA bundle is set",
        .enabled(if: namespacesAvailable, "needs user namespaces (unshare --user --mount)")
    )
    func bundleReplacesCADirectory() throws {
        let server = try TestServer.shared()
        let child = try ChildProcess.run(
            scenario: "trust", filter: "ElevateHTTPTests.CABundleChild",
            environment: [
                "ELEVATE_CHILD_HTTPS_PORT": "\(server.httpsPort)",
                "ELEVATE_CHILD_CA": server.caPath,
                "ELEVATE_CHILD_OTHER_CA": server.otherCAPath,
            ],
            launcher: [
                "/usr/bin/env", "unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                "mount --bind \"$0\" \(Self.systemCADirectory) && exec \"$@\"", server.caDirectory,
            ]
        )
        #expect(child.status == 0, "\(child.output)")
        #expect(child.report == [
            // The directory is in force: without a bundle the server is trusted through it alone.
            "system CAs: 200",
            "bundle with the server's certificate: 200",
            "bundle with an unrelated CA: tlsFailed",
        ], "\(child.output)")
    }

    @Test("a bundle with an unrelated CA is refused, one with the server's certificate accepted")
    func bundleOutsideNamespace() throws {
        let server = try TestServer.shared()
        var options = plain
        options.caBundlePath = server.otherCAPath
        #expect {
            try HTTPClient().send(HTTPRequest(method: .get, url: "\(server.https)/echo"), options: options)
        } throws: { error in
            guard case .tlsFailed = error as? HTTPError else { return false }
            return true
        }
        options.caBundlePath = server.caPath
        let response = try HTTPClient().send(HTTPRequest(method: .get, url: "\(server.https)/echo"), options: options)
        #expect(response.status == 200)
    }
}

/// Runs only inside the child started by `CABundleTests`, in its namespace.
@Suite("CA bundle child", .enabled(if: ChildProcess.scenario == "trust"))
struct CABundleChild {
    @Test("HTTPS with the system's CAs, the server's own bundle and an unrelated one")
    func scenario() throws {
        let environment = ProcessInfo.processInfo.environment
        let url = "https://127.0.0.1:\(environment["ELEVATE_CHILD_HTTPS_PORT"] ?? "1")/echo"
        func outcome(bundle: String?) -> String {
            let options = HTTPOptions(proxy: .none, timeoutMilliseconds: 5_000, caBundlePath: bundle)
            do {
                return "\(try HTTPClient().send(HTTPRequest(method: .get, url: url), options: options).status)"
            } catch {
                if case .tlsFailed = error { return "tlsFailed" }
                return "\(error)"
            }
        }
        try ChildProcess.writeReport([
            "system CAs: \(outcome(bundle: nil))",
            "bundle with the server's certificate: \(outcome(bundle: environment["ELEVATE_CHILD_CA"]))",
            "bundle with an unrelated CA: \(outcome(bundle: environment["ELEVATE_CHILD_OTHER_CA"]))",
        ])
    }
}
