import ElevateSigV4
import Testing

@Suite("No secrets in descriptions")
struct RedactionTests {
    static let secret = "SECRET-wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let token = "TOKEN-FwoGZXIvYXdzEXAMPLE"
    static let mfaCode = "MFA-123456"

    /// Every way Swift turns a value into text: interpolation, reflection, debug description and `dump`.
    static func renderings(_ value: some Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        var mirrored = ""
        for child in Mirror(reflecting: value).children { mirrored += "\(child.label ?? ""): \(child.value)\n" }
        return ["\(value)", String(describing: value), String(reflecting: value), dumped, mirrored]
    }

    static func expectNoSecrets(_ value: some Any, sourceLocation: SourceLocation = #_sourceLocation) {
        for text in renderings(value) {
            for secret in [secret, token, mfaCode, "EXAMPLEKEY", "AKIDEXAMPLE"] {
                #expect(!text.contains(secret), "'\(secret)' leaked into: \(text)", sourceLocation: sourceLocation)
            }
        }
    }

    static let credentials = SigV4Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: secret, sessionToken: token)

    @Test("credentials show a masked key id and never the secret or the token")
    func credentials() {
        Self.expectNoSecrets(Self.credentials)
        #expect(Self.credentials.description.contains("****MPLE"))
        #expect(Self.credentials.maskedAccessKeyId == "****MPLE")
        #expect(SigV4Credentials(accessKeyId: "AKI", secretAccessKey: "s").maskedAccessKeyId == "****")
    }

    @Test("a request shows header names and the body size, not header values or the body")
    func request() {
        let request = SigV4Request(
            method: "POST", host: "sts.amazonaws.com",
            query: [("TokenCode", Self.mfaCode)],
            headers: [("X-Amz-Security-Token", Self.token)],
            body: Array("TokenCode=\(Self.mfaCode)&Secret=\(Self.secret)".utf8)
        )
        Self.expectNoSecrets(request)
        #expect(request.description.contains("X-Amz-Security-Token"))
    }

    @Test("a signer and a signature never show the secret or the token")
    func signerAndSignature() throws {
        let signer = SigV4Signer(credentials: Self.credentials, region: "eu-west-1", service: "sts")
        Self.expectNoSecrets(signer)
        let signature = try signer.sign(
            SigV4Request(method: "POST", host: "sts.amazonaws.com"), date: .init(timeIntervalSince1970: 0))
        #expect(
            signature.canonicalRequest.contains(Self.token), "the test must render a signature that holds the token")
        Self.expectNoSecrets(signature)
    }
}
