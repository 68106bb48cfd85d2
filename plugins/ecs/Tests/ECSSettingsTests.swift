import ElevateCore
import Testing

@testable import ECSSource

private let relative = ECSSettings.relativeVariable
private let full = ECSSettings.fullVariable

private func settings(_ environment: [String: String]) throws(ECSSourceError) -> ECSSettings {
    try ECSSettings(environment: environment)
}

@Suite("ecs source: which URIs and tokens are used")
struct ECSSettingsTests {
    @Test("a relative URI is a path on the ECS agent's address")
    func relativeURI() throws {
        let result = try settings([relative: "/v2/credentials/0f6a1c52-4b1a-4bd9-9b7e-0ad0c1e5f1aa"])
        #expect(result.url == "http://169.254.170.2/v2/credentials/0f6a1c52-4b1a-4bd9-9b7e-0ad0c1e5f1aa")
        #expect(result.endpoint == "http://169.254.170.2")
        #expect(result.variable == relative)
        #expect(result.authorization == .none)
    }

    @Test("the relative URI wins over the full one, as in botocore")
    func relativeWins() throws {
        let result = try settings([relative: "/v2/credentials/x", full: "http://127.0.0.1:9/other"])
        #expect(result.variable == relative && result.url == "http://169.254.170.2/v2/credentials/x")
    }

    @Test(
        "a full URI over plain http must name a loopback address or an agent's address",
        arguments: [
            ("http://127.0.0.1:8080/creds", "http://127.0.0.1:8080"),
            ("http://127.1.2.3/creds", "http://127.1.2.3"),
            ("http://localhost/creds", "http://localhost"),
            ("HTTP://LocalHost:9/creds?role=x", "HTTP://LocalHost:9"),
            ("http://[::1]:80/creds", "http://[::1]:80"),
            ("http://[0:0:0:0:0:0:0:1]/creds", "http://[0:0:0:0:0:0:0:1]"),
            ("http://169.254.170.2/v2/credentials/x", "http://169.254.170.2"),
            ("http://169.254.170.23/v1/credentials", "http://169.254.170.23"),
            ("http://[fd00:ec2::23]/v1/credentials", "http://[fd00:ec2::23]"),
            ("http://[FD00:EC2::23]/v1/credentials", "http://[FD00:EC2::23]"),
        ])
    func allowedPlain(url: String, endpoint: String) throws {
        let result = try settings([full: url])
        #expect(result.url == url && result.endpoint == endpoint && result.variable == full)
    }

    @Test(
        "any host over https",
        arguments: ["https://creds.example.com/v1", "https://10.0.0.1:8443/x", "https://[2001:db8::1]/x"])
    func anyHTTPS(url: String) throws {
        #expect(try settings([full: url]).url == url)
    }

    @Test(
        "other hosts over plain http are refused, however they are spelled",
        arguments: [
            ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
            ("http://10.0.0.1/creds", "10.0.0.1"),
            ("http://example.com/creds", "example.com"),
            ("http://127.0.0.1.nip.io/creds", "127.0.0.1.nip.io"),
            ("http://0177.0.0.1/creds", "0177.0.0.1"),
            ("http://127.1/creds", "127.1"),
            ("http://2130706433/creds", "2130706433"),
            ("http://[::ffff:127.0.0.1]/creds", "::ffff:127.0.0.1"),
            ("http://[fd00:ec2:0::23]/creds", "fd00:ec2:0::23"),
            ("http://localhost./creds", "localhost."),
            ("http://169.254.170.02/creds", "169.254.170.02"),
        ])
    func refusedPlain(url: String, host: String) throws {
        #expect(throws: ECSSourceError.hostNotAllowed(host: host)) { try settings([full: url]) }
        let error = ECSSourceError.hostNotAllowed(host: host)
        #expect(error.category == .configuration)
        #expect(error.problem.contains("'\(host)'"))
    }

    @Test(
        "a full URI that is not a plain absolute URL is refused before any request",
        arguments: [
            "", "ftp://127.0.0.1/x", "127.0.0.1/x", "http://user@127.0.0.1/x", "http://127.0.0.1@evil.example/x",
            "http://127.0.0.1:99999/x", "http://127.0.0.1:x/x", "http://127.0.0.1:80:90/x", "http://[::1/x",
            "http://[::1]x/x", "http://[::1%25lo]/x", "http://127.0.0.1\\@evil/x", "http://127.0.0.1/a b",
            "http://127.0.0.1/#fragment", "http:///x", "http://127.0.0.1/\n", "http://127.0.0.1/\u{E9}",
            "http://exa%6dple.com/x", "http://" + String(repeating: "a", count: 2100),
        ])
    func malformedFull(url: String) throws {
        let error = try #require(throws: ECSSourceError.self) { try settings([full: url]) }
        guard case .invalidURI(let variable, _) = error else { Issue.record("got \(error)"); return }
        #expect(variable == full)
        #expect(error.category == .configuration)
    }

    @Test(
        "a relative URI must be a path; the message never quotes it (the path is the task's capability)",
        arguments: [
            "", "v2/credentials/SECRETID", "@evil.example/SECRETID", "/v2/SECRETID x", "/v2/SECRETID\\x",
            "/v2/SECRETID#x", "/v2/\u{E9}SECRETID",
        ])
    func malformedRelative(value: String) throws {
        let error = try #require(throws: ECSSourceError.self) { try settings([relative: value]) }
        guard case .invalidURI(let variable, _) = error else { Issue.record("got \(error)"); return }
        #expect(variable == relative)
        #expect(!error.problem.contains("SECRETID") && !error.remedy.contains("SECRETID"))
    }

    @Test("neither variable: not configured, an error of the credentials")
    func notConfigured() {
        #expect(throws: ECSSourceError.notConfigured) { try settings(["AWS_CONTAINER_AUTHORIZATION_TOKEN": "t"]) }
        #expect(ECSSourceError.notConfigured.category == .credentials)
        #expect(ECSSourceError.notConfigured.problem.contains("EcsContainer"))
    }

    @Test("the token file wins over the token variable, as in botocore, even when both are set")
    func tokenFileWins() throws {
        let result = try settings([
            full: "http://127.0.0.1:9/c", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "direct",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/var/run/token",
        ])
        #expect(result.authorization == .file(path: "/var/run/token"))
        let direct = try settings([full: "http://127.0.0.1:9/c", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "direct"])
        #expect(direct.authorization == .token("direct"))
        let empty = try settings([full: "http://127.0.0.1:9/c", "AWS_CONTAINER_AUTHORIZATION_TOKEN": ""])
        #expect(empty.authorization == .token(""), "botocore sends an empty token as it is")
    }

    @Test(
        "a token with a line break or another control character is refused, never quoted",
        arguments: ["SECRET\n", "SECRET\r\nX-Injected: 1", "SECRET\u{0}", "SECRET\u{7F}"])
    func badToken(token: String) throws {
        let error = try #require(throws: ECSSourceError.self) {
            try settings([full: "http://127.0.0.1:9/c", "AWS_CONTAINER_AUTHORIZATION_TOKEN": token])
        }
        #expect(error == .invalidToken(origin: "AWS_CONTAINER_AUTHORIZATION_TOKEN"))
        #expect(!error.problem.contains("SECRET") && error.category == .configuration)
    }

    @Test("an empty token file path is an error, not a silent request without a token")
    func emptyTokenFile() {
        #expect(throws: ECSSourceError.invalidTokenFile(path: "", reason: "the path is empty")) {
            try settings([full: "http://127.0.0.1:9/c", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": ""])
        }
    }

    @Test("IPv4 and IPv6 literals are read as Python's ipaddress reads them")
    func addresses() {
        #expect(IPAddress("127.0.0.1") == .v4([127, 0, 0, 1]))
        #expect(IPAddress("255.255.255.255") == .v4([255, 255, 255, 255]))
        for bad in ["256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..2.3", " 1.2.3.4", "1.2.3.4 "] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
        #expect(IPAddress("::1") == .v6([UInt8](repeating: 0, count: 15) + [1]))
        #expect(IPAddress("::") == .v6([UInt8](repeating: 0, count: 16)))
        #expect(IPAddress("fd00:ec2::23") == .v6([0xfd, 0, 0x0e, 0xc2] + [UInt8](repeating: 0, count: 11) + [0x23]))
        #expect(IPAddress("1:2:3:4:5:6:7:8") != nil)
        #expect(IPAddress("::ffff:1.2.3.4") == .v6([UInt8](repeating: 0, count: 10) + [0xff, 0xff, 1, 2, 3, 4]))
        for bad in [
            "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", ":::1", "1:::2", "12345::", "g::1", "::1%lo",
            "1:2:3:4:5:6:7::8", ":1:2:3:4:5:6:7", "1.2.3.4::",
        ] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
    }
}
