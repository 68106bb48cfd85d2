import ElevateSigV4
import Foundation
import Testing

@Suite("AWS SigV4 test suite")
struct SigV4VectorTests {
    @Test("the vendored suite loads all 34 cases")
    func suiteIsComplete() throws {
        let names = try SuiteCase.all().map(\.name)
        #expect(names.count == 34, "found \(names) under \(SuiteCase.folder.path)")
        for expected in [
            "get-vanilla", "get-vanilla-query-order-key-case", "post-x-www-form-urlencoded", "get-utf8",
            "normalize-path/get-slashes", "post-vanilla-query", "get-header-value-trim",
            "post-sts-token/post-sts-header-before",
        ] {
            #expect(names.contains(expected), "missing vector '\(expected)'")
        }
    }

    @Test("canonical request, string to sign and Authorization match the suite", arguments: SuiteCase.loaded)
    func vector(suiteCase: SuiteCase) throws {
        let signer = SigV4Signer(
            credentials: SigV4Credentials(
                accessKeyId: SuiteCase.accessKeyId,
                secretAccessKey: SuiteCase.secretAccessKey,
                sessionToken: suiteCase.sessionToken
            ),
            region: SuiteCase.region,
            service: SuiteCase.service
        )
        let signature = try signer.sign(suiteCase.request, date: SuiteCase.date)
        #expect(signature.canonicalRequest == suiteCase.canonicalRequest)
        #expect(signature.stringToSign == suiteCase.stringToSign)
        #expect(signature.authorization == suiteCase.authorization)

        var expectedHeaders = [["X-Amz-Date", "20150830T123600Z"]]
        if let token = suiteCase.sessionToken { expectedHeaders.append(["X-Amz-Security-Token", token]) }
        expectedHeaders.append(["Authorization", suiteCase.authorization])
        #expect(signature.headers.map { [$0.name, $0.value] } == expectedHeaders)
    }
}
