#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import ElevateCore
import ElevateXML

/// Who a set of credentials stands for: the answer of sts:GetCallerIdentity.
public struct CallerIdentity: Sendable, Equatable {
    /// The principal's ARN, such as `arn:aws:sts::123456789012:assumed-role/Admin/session`.
    public var arn: String
    /// The 12-digit account id.
    public var account: String
    /// The unique id of the principal (`AIDA…` or `AROA…:session`).
    public var userId: String

    /// An identity.
    public init(arn: String, account: String, userId: String) {
        self.arn = arn
        self.account = account
        self.userId = userId
    }
}

/// The error document of a failed STS request: `ErrorResponse/Error/{Type,Code,Message}`.
package struct ServiceErrorDocument: Equatable {
    package var type: String?
    package var code: String
    package var message: String
}

/// Why an answer could not be read; the detail never quotes the document.
package struct ResponseFailure: Error, Equatable {
    package var detail: String
}

/// Reads STS Query API answers. Element names are matched without namespace, as botocore does.
package enum STSResponse {
    /// The credentials of `ACTIONResponse/ACTIONResult` (`AssumeRole`, `AssumeRoleWithWebIdentity`), as a role
    /// session.
    package static func assumedRole(_ body: [UInt8], action: String = "AssumeRole") throws(ResponseFailure) -> Credentials {
        let root = try parse(body)
        guard root.localName == "\(action)Response", let result = root.child("\(action)Result") else {
            throw ResponseFailure(detail: "a document that is not an \(action)Response")
        }
        let keyId = try text(result, "Credentials", "AccessKeyId")
        let secret = try text(result, "Credentials", "SecretAccessKey")
        let token = try text(result, "Credentials", "SessionToken")
        let expirationText = try text(result, "Credentials", "Expiration")
        guard let expiration = Timestamp.parse(expirationText) else {
            throw ResponseFailure(detail: "an Expiration that is not an RFC 3339 time")
        }
        let arn = try text(result, "AssumedRoleUser", "Arn")
        return Credentials(
            accessKeyId: keyId,
            secretAccessKey: secret,
            sessionToken: token,
            expiration: expiration,
            principalArn: arn,
            origin: .role
        )
    }

    /// The identity of `GetCallerIdentityResponse/GetCallerIdentityResult`.
    package static func callerIdentity(_ body: [UInt8]) throws(ResponseFailure) -> CallerIdentity {
        let root = try parse(body)
        guard root.localName == "GetCallerIdentityResponse", let result = root.child("GetCallerIdentityResult") else {
            throw ResponseFailure(detail: "a document that is not a GetCallerIdentityResponse")
        }
        // `whoami` prints the ARN: a line break or any other byte outside an ARN's shape is refused, not rewritten.
        let arn = try text(result, "Arn")
        guard CredentialRules.isArn(arn) else {
            throw ResponseFailure(detail: "an Arn that is not \(CredentialRules.arnRule)")
        }
        return CallerIdentity(
            arn: arn,
            account: try text(result, "Account"),
            userId: try text(result, "UserId")
        )
    }

    /// The error in `ErrorResponse/Error` (STS), `ErrorResponse/Errors/Error` (moto) or `Response/Errors/Error`,
    /// `nil` when the body is not such a document.
    package static func serviceError(_ body: [UInt8]) -> ServiceErrorDocument? {
        guard let root = try? parse(body), root.localName == "ErrorResponse" || root.localName == "Response" else {
            return nil
        }
        guard let error = root.child("Error") ?? root.path("Errors", "Error"),
            let code = error.child("Code").map({ trimmed($0.text) }), !code.isEmpty
        else { return nil }
        return ServiceErrorDocument(
            type: error.child("Type").map { trimmed($0.text) },
            code: code,
            message: error.child("Message").map { trimmed($0.text) } ?? ""
        )
    }

    private static func parse(_ body: [UInt8]) throws(ResponseFailure) -> XMLElement {
        do {
            return try XMLDocument.parse(body)
        } catch {
            throw ResponseFailure(detail: "a body that is not a usable XML document (\(error))")
        }
    }

    private static func text(_ element: XMLElement, _ path: String...) throws(ResponseFailure) -> String {
        var current = element
        for name in path {
            guard let next = current.child(name) else {
                throw ResponseFailure(detail: "no \(path.joined(separator: "/")) in the document")
            }
            current = next
        }
        let value = trimmed(current.text)
        guard !value.isEmpty else { throw ResponseFailure(detail: "an empty \(path.joined(separator: "/"))") }
        return value
    }

    /// `text` without the XML white space (space, tab, LF, CR) around it, looked at as Unicode scalars: as
    /// `Character`s, CR LF is one character that is neither CR nor LF, and a value ending in it kept both.
    static func trimmed(_ text: String) -> String {
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
            let last = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(scalars[first...last])
    }
}
