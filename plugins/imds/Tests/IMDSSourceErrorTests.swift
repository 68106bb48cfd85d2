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
