import ElevateCore
import Testing

@testable import AssumeRoleElevation

@Suite("role session names")
struct SessionNameTests {
    @Test("on EC2 the default names the instance")
    func instance() {
        let name = SessionName.defaultName(
            machine: MachineFacts(instanceId: "i-0123456789abcdef0", region: "eu-west-1"), user: "alice", host: "h")
        #expect(name == "aws-elevate-i-0123456789abcdef0")
    }

    @Test("elsewhere the default is user@host, or whichever half is known")
    func userAndHost() {
        #expect(SessionName.defaultName(machine: nil, user: "alice", host: "build-01") == "alice@build-01")
        #expect(
            SessionName.defaultName(
                machine: MachineFacts(instanceId: nil, region: "eu-west-1"), user: "alice",
                host: "build-01") == "alice@build-01")
        #expect(SessionName.defaultName(machine: nil, user: "alice", host: nil) == "alice@aws-elevate")
        #expect(SessionName.defaultName(machine: nil, user: "", host: "build-01") == "aws-elevate@build-01")
        #expect(SessionName.defaultName(machine: nil, user: nil, host: nil) == "aws-elevate")
    }

    @Test("characters STS refuses become '-', and the name is cut to 64 characters")
    func sanitising() {
        #expect(
            SessionName.defaultName(machine: nil, user: "Jöhn Doe", host: "my host.local")
                == "J-hn-Doe@my-host.local")
        #expect(SessionName.sanitised("a/b:c;d\n") == "a-b-c-d-")
        let long = SessionName.defaultName(
            machine: nil, user: String(repeating: "u", count: 40),
            host: String(repeating: "h", count: 40))
        #expect(long.count == 64)
        #expect(long == String(repeating: "u", count: 40) + "@" + String(repeating: "h", count: 23))
        #expect(SessionName.sanitised("x") == "aws-elevate")
        #expect(SessionName.sanitised("") == "aws-elevate")
    }

    @Test(
        "every default is a valid session name",
        arguments: [
            ("é", "日本"), ("root", "ip-10-0-0-1.ec2.internal"), (String(repeating: "ü", count: 100), "h"),
            ("a b", "c d"),
        ])
    func alwaysValid(user: String, host: String) {
        #expect(SessionName.isValid(SessionName.defaultName(machine: nil, user: user, host: host)))
    }

    @Test("validity is STS's pattern: 2 to 64 of [\\w+=,.@-]")
    func validity() {
        #expect(SessionName.isValid("ab"))
        #expect(SessionName.isValid("A_z0+=,.@-"))
        #expect(SessionName.isValid(String(repeating: "x", count: 64)))
        #expect(!SessionName.isValid("a"))
        #expect(!SessionName.isValid(String(repeating: "x", count: 65)))
        #expect(!SessionName.isValid("a b"))
        #expect(!SessionName.isValid("a/b"))
        #expect(!SessionName.isValid("né"))
    }
}
