import ElevateCore
import ElevateSTS
import Testing

@Suite("STS error messages")
struct STSErrorTests {
    @Test("a service error carries the STS code and message")
    func service() {
        let error = STSError.service(
            action: "AssumeRole", status: 403, code: "AccessDenied", message: "User: u is not authorized", attempts: 1)
        #expect(error.problem == "sts AccessDenied: User: u is not authorized")
        #expect(error.remedy.contains("trust policy"))
        #expect(error.category == .credentials)
        #expect(error.code == "AccessDenied")
    }

    @Test("every well-known code has its own remedy")
    func remedies() {
        func remedy(_ code: String, _ action: String = "AssumeRole") -> String {
            STSError.service(action: action, status: 400, code: code, message: "m", attempts: 1).remedy
        }
        #expect(remedy("ExpiredToken").contains("expired"))
        #expect(remedy("InvalidClientTokenId").contains("access key id or session token"))
        #expect(remedy("SignatureDoesNotMatch").contains("secret access key"))
        #expect(remedy("Throttling").contains("throttling"))
        #expect(remedy("RegionDisabledException").contains("region"))
        #expect(remedy("AccessDenied", "GetCallerIdentity") == "check the policies of the calling principal")
        #expect(remedy("SomethingNew").contains("--debug"))
    }

    @Test("ValidationError and bad settings are configuration errors (exit 2)")
    func categories() {
        #expect(
            STSError.service(action: "AssumeRole", status: 400, code: "ValidationError", message: "m", attempts: 1)
                .category == .configuration)
        #expect(
            STSError.invalidSetting(name: "AWS_REGION", value: "x y", expected: "a region").category
                == .configuration)
        #expect(
            STSError.transport(action: "AssumeRole", endpoint: "e", detail: "d", attempts: 1).category
                == .credentials)
    }

    @Test("messages stay on one line and quote bounded values")
    func oneLine() {
        let setting = STSError.invalidSetting(name: "AWS_ENDPOINT_URL", value: "http://a\nb", expected: "a URL")
        #expect(setting.problem == "invalid value 'http://a?b' for AWS_ENDPOINT_URL: expected a URL")
        let long = STSError.invalidSetting(name: "n", value: String(repeating: "v", count: 500), expected: "e")
        #expect(long.problem.count < 260)
        let empty = STSError.service(
            action: "AssumeRole", status: 500, code: "InternalFailure", message: "",
            attempts: 2)
        #expect(empty.problem == "sts InternalFailure: (no message, HTTP 500) (after 2 attempts)")
    }
}

@Suite("STS denials")
struct STSDenialTests {
    func service(_ code: String, status: Int = 400) -> STSError {
        .service(action: "AssumeRole", status: status, code: code, message: "m", attempts: 1)
    }

    @Test("STS's codes for a caller it refuses are denials", arguments: [
        ("AccessDenied", 403), ("ExpiredToken", 400), ("ExpiredTokenException", 400), ("InvalidClientTokenId", 403),
        ("UnrecognizedClientException", 400), ("SignatureDoesNotMatch", 403), ("IncompleteSignature", 400),
        ("InvalidIdentityToken", 400), ("IDPRejectedClaim", 403), ("RegionDisabledException", 403),
    ])
    func denials(code: String, status: Int) {
        #expect(service(code, status: status).isDenial)
        #expect(service(code, status: 400).isDenial, "the code decides, whatever the status")
    }

    @Test("any error document with HTTP 401 or 403 is a denial", arguments: [401, 403])
    func deniedStatus(status: Int) {
        #expect(service("SomethingNew", status: status).isDenial)
    }

    @Test("throttling, server errors, transport failures and answers that are not STS's are not denials")
    func notDenials() {
        for code in ["Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"] {
            #expect(!service(code, status: 400).isDenial, "\(code)")
        }
        #expect(!service("InternalFailure", status: 500).isDenial)
        #expect(!service("ServiceUnavailable", status: 503).isDenial)
        #expect(!STSError.transport(action: "AssumeRole", endpoint: "e", detail: "timed out", attempts: 4).isDenial)
        #expect(!STSError.unexpectedResponse(action: "AssumeRole", endpoint: "e", status: 403, detail: "HTML", attempts: 1)
            .isDenial)
        #expect(!STSError.signingFailed(detail: "d").isDenial)
    }
}
