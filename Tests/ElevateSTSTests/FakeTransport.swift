import ElevateHTTP
import ElevateSTS
import Synchronization

/// A transport that answers from a script, in order, and records every request it was given.
final class FakeTransport: STSTransport {
    enum Answer {
        case response(HTTPResponse)
        case failure(HTTPError)
    }

    private let state: Mutex<(answers: [Answer], requests: [HTTPRequest], options: [HTTPOptions])>

    init(_ answers: [Answer]) {
        state = Mutex((answers, [], []))
    }

    var requests: [HTTPRequest] { state.withLock { $0.requests } }
    var options: [HTTPOptions] { state.withLock { $0.options } }

    func send(_ request: HTTPRequest, options: HTTPOptions) throws(HTTPError) -> HTTPResponse {
        let answer = state.withLock { state -> Answer in
            state.requests.append(request)
            state.options.append(options)
            guard !state.answers.isEmpty else {
                return .failure(.invalidRequest(reason: "the fake transport has no answer left"))
            }
            return state.answers.removeFirst()
        }
        switch answer {
        case .response(let response): return response
        case .failure(let error): throw error
        }
    }
}

/// Canned STS documents.
enum Documents {
    static let accessKeyId = "ASIAEXAMPLESESSION01"
    static let secretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let sessionToken = "FwoGZXIvYXdzEXAMPLETOKEN//////////wEaDEXAMPLE="
    static let expiration = "2030-01-02T03:04:05Z"
    static let roleSessionArn = "arn:aws:sts::123456789012:assumed-role/Admin/elevate"

    static func assumeRole(expiration: String = expiration) -> [UInt8] {
        Array(
            """
            <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <AssumeRoleResult>
                <SourceIdentity>alice</SourceIdentity>
                <AssumedRoleUser>
                  <Arn>\(roleSessionArn)</Arn>
                  <AssumedRoleId>AROA3XFRBF535PLBIFPI4:elevate</AssumedRoleId>
                </AssumedRoleUser>
                <Credentials>
                  <AccessKeyId>\(accessKeyId)</AccessKeyId>
                  <SecretAccessKey>\(secretAccessKey)</SecretAccessKey>
                  <SessionToken>\(sessionToken)</SessionToken>
                  <Expiration>\(expiration)</Expiration>
                </Credentials>
                <PackedPolicySize>6</PackedPolicySize>
              </AssumeRoleResult>
              <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
            </AssumeRoleResponse>
            """.utf8)
    }

    static let callerIdentity = Array(
        """
        <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <GetCallerIdentityResult>
            <Arn>arn:aws:iam::123456789012:user/alice</Arn>
            <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
            <Account>123456789012</Account>
          </GetCallerIdentityResult>
          <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
        </GetCallerIdentityResponse>
        """.utf8)

    /// STS's own error shape.
    static func error(_ code: String, _ message: String, type: String = "Sender") -> [UInt8] {
        Array(
            """
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <Error><Type>\(type)</Type><Code>\(code)</Code><Message>\(message)</Message></Error>
              <RequestId>4c7b8f2c-0000-0000-0000-000000000000</RequestId>
            </ErrorResponse>
            """.utf8)
    }

    /// moto's shape, with an `Errors` wrapper.
    static func motoError(_ code: String, _ message: String) -> [UInt8] {
        Array(
            """
            <?xml version="1.0" encoding="utf-8"?>
            <ErrorResponse><Errors><Error><Code>\(code)</Code><Message>\(message)</Message><Type>Sender</Type></Error></Errors></ErrorResponse>
            """.utf8)
    }

    static func answer(_ status: Int, _ body: [UInt8]) -> FakeTransport.Answer {
        .response(HTTPResponse(status: status, body: body))
    }
}
