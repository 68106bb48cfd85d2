import ElevateCore
import IMDSSource
import Testing

private let endpoint = "http://127.0.0.1:1234"

/// One of every case, for the checks that apply to all messages.
private let everyCase: [IMDSSourceError] = [
    .disabled(by: "AWS_EC2_METADATA_DISABLED"),
    .invalidSetting(name: "AWS_METADATA_SERVICE_TIMEOUT", value: "soon", expected: "a number"),
    .tokenFailed(endpoint: endpoint, reason: "status 403", v1: .notAllowed),
    .tokenFailed(endpoint: endpoint, reason: "status 403", v1: .disabled(by: "AWS_EC2_METADATA_V1_DISABLED")),
    .v1Refused(endpoint: endpoint, tokenFailure: "status 403"),
    .tokenRejected(endpoint: endpoint, path: "/latest/meta-data/instance-id"),
    .noRole(endpoint: endpoint),
    .unreachable(endpoint: endpoint, detail: "connection refused"),
    .timedOut(endpoint: endpoint, path: "/latest/api/token", timeout: "1 s", attempts: 2),
    .unexpectedStatus(endpoint: endpoint, path: "/latest/api/token", status: 400),
    .requestFailed(endpoint: endpoint, path: "/latest/api/token", detail: "empty reply"),
    .invalidResponse(endpoint: endpoint, path: "/latest/api/token", detail: "an empty or malformed token"),
    .notSuccess(endpoint: endpoint, role: "r", code: "AssumeRoleUnauthorizedAccess", message: "no"),
    .malformedCredentials(endpoint: endpoint, role: "r"),
    .missingField(endpoint: endpoint, role: "r", field: "Token"),
    .invalidField(endpoint: endpoint, role: "r", field: "Token"),
    .badExpiration(endpoint: endpoint, role: "r", value: "tomorrow"),
]

@Suite("imds error messages")
struct IMDSSourceErrorTests {
    @Test("every message starts in lower case, is one line, and has a remedy", arguments: everyCase)
    func shape(error: IMDSSourceError) {
        let problem = error.problem
        #expect(problem.first?.isLowercase == true, "\(problem)")
        #expect(!shown(error).contains("\n"))
        #expect(!error.remedy.isEmpty)
    }

    @Test("every network-side message names the endpoint", arguments: everyCase.dropFirst(2))
    func namesEndpoint(error: IMDSSourceError) {
        #expect(error.problem.contains("'\(endpoint)'"), "\(error.problem)")
    }

    @Test("only disabled IMDS and bad settings are configuration errors")
    func categories() {
        #expect(everyCase.filter { $0.category == .configuration }.count == 2)
        #expect(IMDSSourceError.disabled(by: "X").category == .configuration)
        #expect(IMDSSourceError.noRole(endpoint: endpoint).category == .credentials)
    }

    @Test("the IMDSv2 failure names the opt-in, or the setting that disables v1")
    func tokenFailedRemedies() {
        let notAllowed = IMDSSourceError.tokenFailed(endpoint: endpoint, reason: "status 404", v1: .notAllowed)
        #expect(notAllowed.problem == "the IMDSv2 token request to '\(endpoint)' failed: status 404")
        #expect(notAllowed.remedy.contains("AWS_ELEVATE_IMDS_V1=allow or elevate_imds_v1 = allow"))
        let disabled = IMDSSourceError.tokenFailed(
            endpoint: endpoint, reason: "status 404", v1: .disabled(by: "AWS_EC2_METADATA_V1_DISABLED"))
        #expect(disabled.remedy.contains("AWS_EC2_METADATA_V1_DISABLED is true"))
        #expect(!disabled.remedy.contains("=allow"))
    }

    @Test("values from outside are quoted on one line and shortened")
    func quoting() {
        let code = IMDSSourceError.notSuccess(endpoint: endpoint, role: "r", code: "Bad\nCode", message: nil)
        #expect(code.problem.contains("'Bad?Code'"))
        let long = String(repeating: "x", count: 500)
        let setting = IMDSSourceError.invalidSetting(
            name: "AWS_EC2_METADATA_SERVICE_ENDPOINT", value: long, expected: "a URL")
        #expect(setting.problem.count < 250)
        #expect(setting.problem.contains("...'"))
    }

    @Test("a timeout says how long and how many attempts")
    func timeoutMessage() {
        let error = IMDSSourceError.timedOut(
            endpoint: endpoint, path: "/latest/api/token", timeout: "0.5 s", attempts: 3)
        #expect(error.problem.hasSuffix("within 0.5 s (3 attempts)"))
        #expect(IMDSSourceError.timedOut(endpoint: endpoint, path: "/p", timeout: "1 s", attempts: 1)
            .problem.hasSuffix("(1 attempt)"))
    }
}

private let v1Allowed = ["AWS_ELEVATE_IMDS_V1": "allow"]

/// Whether a failure may let the session cache serve a still valid cached session (static stability): only a service
/// that is down, slow or failing may; an instance that refuses its role may not.
@Suite("imds denials against the loopback IMDS emulator")
struct IMDSDenialTests {
    @Test("an instance without a role, a refused role or metadata access turned off (403) is a denial",
          arguments: [("no-role", [String: String]()), ("code-fail", [:]), ("token-403", [:]), ("token-403", v1Allowed)])
    func denials(mode: String, environment: [String: String]) async throws {
        let emulator = try Emulator.start()
        try emulator.mode(mode)
        let error = try await sourceError(emulator, environment: environment)
        #expect(error.isDenial, "\(error)")
    }

    @Test("a failing, broken or slow service is not a denial",
          arguments: [("error-500", [String: String]()), ("error-500", v1Allowed), ("token-404", [:]), ("bad-json", [:]),
                      ("missing-field", [:]), ("slow", ["AWS_METADATA_SERVICE_TIMEOUT": "1"])])
    func notDenials(mode: String, environment: [String: String]) async throws {
        let emulator = try Emulator.start()
        try emulator.mode(mode, delay: 3)
        let error = try await sourceError(emulator, environment: environment)
        #expect(!error.isDenial, "\(error)")
    }

    @Test("a service that is down is not a denial, with or without the IMDSv1 fallback")
    func downIsNotADenial() async throws {
        let environment = ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(try LoopbackHTTP.closedPort())"]
        #expect(!(try await sourceError(nil, environment: environment)).isDenial)
        #expect(!(try await sourceError(nil, environment: environment.merging(v1Allowed) { $1 })).isDenial)
    }

    @Test("a 401 is about the IMDSv2 token, not the role: not a denial")
    func tokenRejectionIsNotADenial() {
        #expect(!IMDSSourceError.tokenRejected(endpoint: endpoint, path: "/latest/api/token").isDenial)
        #expect(!IMDSSourceError.v1Refused(endpoint: endpoint, tokenFailure: "no answer within 1 s").isDenial)
        #expect(IMDSSourceError.v1Refused(endpoint: endpoint, tokenFailure: "status 403").isDenial)
    }
}
