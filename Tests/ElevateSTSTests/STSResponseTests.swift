import ElevateCore
import Foundation
import Testing

@testable import ElevateSTS

@Suite("STS XML answers")
struct STSResponseTests {
    @Test("an AssumeRoleResponse gives a role session with its ARN and expiration")
    func assumeRole() throws {
        let credentials = try STSResponse.assumedRole(Documents.assumeRole())
        #expect(credentials.accessKeyId == Documents.accessKeyId)
        #expect(credentials.secretAccessKey == Documents.secretAccessKey)
        #expect(credentials.sessionToken == Documents.sessionToken)
        #expect(credentials.expiration == Date(timeIntervalSince1970: 1_893_553_445))
        #expect(credentials.principalArn == Documents.roleSessionArn)
        #expect(credentials.origin == .role)
        #expect(credentials.machine == nil)
    }

    @Test("fractional seconds in Expiration are accepted")
    func fractionalExpiration() throws {
        let credentials = try STSResponse.assumedRole(Documents.assumeRole(expiration: "2030-01-02T03:04:05.123Z"))
        #expect(credentials.expiration.map { abs($0.timeIntervalSince1970 - 1_893_553_445.123) < 0.01 } == true)
    }

    @Test("a missing or empty field, a bad time or another document is a failure naming what is wrong")
    func malformed() {
        let missingToken = String(decoding: Documents.assumeRole(), as: UTF8.self)
            .replacingOccurrences(of: "<SessionToken>\(Documents.sessionToken)</SessionToken>", with: "")
        #expect(throws: ResponseFailure(detail: "no Credentials/SessionToken in the document")) {
            try STSResponse.assumedRole(Array(missingToken.utf8))
        }
        let emptyKey = String(decoding: Documents.assumeRole(), as: UTF8.self)
            .replacingOccurrences(of: Documents.accessKeyId, with: "  ")
        #expect(throws: ResponseFailure(detail: "an empty Credentials/AccessKeyId")) {
            try STSResponse.assumedRole(Array(emptyKey.utf8))
        }
        #expect(throws: ResponseFailure(detail: "an Expiration that is not an RFC 3339 time")) {
            try STSResponse.assumedRole(Documents.assumeRole(expiration: "tomorrow"))
        }
        #expect(throws: ResponseFailure(detail: "a document that is not an AssumeRoleResponse")) {
            try STSResponse.assumedRole(Documents.callerIdentity)
        }
        #expect(throws: ResponseFailure.self) { try STSResponse.assumedRole(Array("not xml".utf8)) }
    }

    @Test("regression: XML white space around a value is trimmed the same whatever it is, CR LF included")
    func trimsCRLFLikeLF() throws {
        // Trimming compared Characters, and CR LF (one Character, neither CR nor LF) stayed where LF went.
        for padding in ["\n", "&#13;\n", "&#13;", " \t&#13;\n "] {
            let document = String(decoding: Documents.assumeRole(), as: UTF8.self)
                .replacingOccurrences(
                    of: "<SecretAccessKey>\(Documents.secretAccessKey)</SecretAccessKey>",
                    with: "<SecretAccessKey>\(padding)\(Documents.secretAccessKey)\(padding)</SecretAccessKey>")
            #expect(try STSResponse.assumedRole(Array(document.utf8)).secretAccessKey == Documents.secretAccessKey)
        }
        #expect(STSResponse.trimmed("\r\n x\u{301} \r\n") == "x\u{301}")
        #expect(STSResponse.trimmed(" \u{301}x") == "\u{301}x")
        #expect(STSResponse.trimmed("\r\n") == "")
    }

    @Test("a failure detail never quotes the document, which holds secrets")
    func detailHasNoSecret() {
        let truncated = Array(Documents.assumeRole().prefix(700))
        do {
            _ = try STSResponse.assumedRole(truncated)
            Issue.record("a truncated document was accepted")
        } catch {
            #expect(!error.detail.contains(Documents.secretAccessKey))
            #expect(!error.detail.contains(Documents.accessKeyId))
        }
    }

    @Test("a GetCallerIdentityResponse gives ARN, account and user id")
    func callerIdentity() throws {
        let identity = try STSResponse.callerIdentity(Documents.callerIdentity)
        #expect(
            identity
                == CallerIdentity(
                    arn: "arn:aws:iam::123456789012:user/alice", account: "123456789012",
                    userId: "AIDACKCEVSQ6C2EXAMPLE"))
    }

    @Test("regression: a GetCallerIdentity Arn with a line break or outside an ARN's shape is refused, not rewritten")
    func callerIdentityArnOutsideTheRule() {
        // whoami printed such an Arn with its control characters turned into '?'.
        for arn in [
            "arn:aws:iam::1:user/a\nforged", "arn:aws:iam::1:user/a&#9;b", "arn:aws:iam::1:user/a&#13;b",
            "arn:aws:iam::1:user/a\u{85}b", "arn:aws:iam::1:user/a\u{2028}b", "arn:aws:iam::1:user/x'\u{301}",
            "arn:aws:iam::1:user/a b", "it's me", "arn:" + String(repeating: "a", count: 2045),
        ] {
            let document = String(decoding: Documents.callerIdentity, as: UTF8.self)
                .replacingOccurrences(of: "arn:aws:iam::123456789012:user/alice", with: arn)
            #expect(throws: ResponseFailure(detail: "an Arn that is not \(CredentialRules.arnRule)")) {
                try STSResponse.callerIdentity(Array(document.utf8))
            }
        }
        let longest = "arn:" + String(repeating: "a", count: 2044)
        let document = String(decoding: Documents.callerIdentity, as: UTF8.self)
            .replacingOccurrences(of: "arn:aws:iam::123456789012:user/alice", with: longest)
        #expect((try? STSResponse.callerIdentity(Array(document.utf8)))?.arn == longest)
    }

    @Test("error documents of STS and of moto give Type, Code and Message")
    func errors() {
        #expect(
            STSResponse.serviceError(Documents.error("AccessDenied", "User: x is not authorized"))
                == ServiceErrorDocument(type: "Sender", code: "AccessDenied", message: "User: x is not authorized"))
        #expect(
            STSResponse.serviceError(Documents.motoError("SignatureDoesNotMatch", "calculated &amp; provided"))
                == ServiceErrorDocument(type: "Sender", code: "SignatureDoesNotMatch", message: "calculated & provided")
        )
        #expect(
            STSResponse.serviceError(
                Array("<Response><Errors><Error><Code>Throttling</Code></Error></Errors></Response>".utf8))
                == ServiceErrorDocument(type: nil, code: "Throttling", message: ""))
    }

    @Test("bodies that are not error documents give nil")
    func notErrors() {
        #expect(STSResponse.serviceError(Array("<html><body>502 Bad Gateway</body></html>".utf8)) == nil)
        #expect(STSResponse.serviceError(Array("Service Unavailable".utf8)) == nil)
        #expect(STSResponse.serviceError([]) == nil)
        #expect(
            STSResponse.serviceError(Array("<ErrorResponse><Error><Code></Code></Error></ErrorResponse>".utf8))
                == nil)
    }
}
