import Foundation
import ElevateCore
import ElevateHTTP
import ElevateSTS
import InMemoryLogging
import Logging
import Synchronization

@testable import AssumeRoleElevation

/// Collects log messages at every level.
final class LogRecorder: Sendable {
    private let handler = InMemoryLogHandler()

    var logger: Logger {
        Logger(label: "test") { [handler] _ in
            var all = handler
            all.logLevel = .trace
            return all
        }
    }

    var text: String { handler.entries.map { "\($0.message)" }.joined(separator: "\n") }
}

/// Answers every request with the same response and records the requests.
final class RecordingTransport: STSTransport {
    let response: HTTPResponse
    let sent = Mutex<[HTTPRequest]>([])

    init(status: Int = 200, body: String) {
        response = HTTPResponse(status: status, body: Array(body.utf8))
    }

    var bodies: [String] { sent.withLock { $0.map { String(decoding: $0.body, as: UTF8.self) } } }
    var requests: [HTTPRequest] { sent.withLock { $0 } }

    func send(_ request: HTTPRequest, options: HTTPOptions) throws(HTTPError) -> HTTPResponse {
        sent.withLock { $0.append(request) }
        return response
    }
}

/// A local system with fixed names and a scripted terminal that records its prompts.
final class FakeTerminal: Sendable {
    let answer: String?
    let prompts = Mutex<[String]>([])

    init(answer: String?) {
        self.answer = answer
    }

    func system(user: String? = "alice", host: String? = "build-01") -> LocalSystem {
        LocalSystem(
            userName: { _ in user }, hostName: { host },
            readCode: { prompt in
                self.prompts.withLock { $0.append(prompt) }
                return self.answer
            })
    }
}

let successBody = """
    <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/B/elevate-b</Arn>
    <AssumedRoleId>AROAEXAMPLE:elevate-b</AssumedRoleId></AssumedRoleUser>
    <Credentials><AccessKeyId>ASIAHOPTWOEXAMPLE001</AccessKeyId><SecretAccessKey>hop2/secret</SecretAccessKey>
    <SessionToken>hop2-token</SessionToken><Expiration>2030-01-01T01:00:00Z</Expiration></Credentials>
    </AssumeRoleResult></AssumeRoleResponse>
    """

func errorBody(_ code: String, _ message: String) -> String {
    "<ErrorResponse><Error><Type>Sender</Type><Code>\(code)</Code><Message>\(message)</Message></Error></ErrorResponse>"
}

let userKeys = Credentials(accessKeyId: "AKIDEXAMPLEUSER00001", secretAccessKey: "user/secret")
let instanceRole = Credentials(
    accessKeyId: "ASIAINSTANCEEXAMPLE1", secretAccessKey: "instance/secret", sessionToken: "instance-token",
    origin: .role, machine: MachineFacts(instanceId: "i-0123456789abcdef0", region: "eu-central-1"))

func profile(_ values: [String: String], name: String = "app-chain") -> Profile {
    Profile(name: name, values: ["role_arn": "arn:aws:iam::123456789012:role/B"].merging(values) { $1 })
}

func context(
    _ recorder: LogRecorder = LogRecorder(),
    environment: [String: String] = ["AWS_ENDPOINT_URL": "http://127.0.0.1:4566"],
    tokenCode: String? = nil
) -> RunContext {
    RunContext(environment: environment, logger: recorder.logger, tokenCode: tokenCode)
}

/// The form parameters of a request body, decoded.
func parameters(_ body: String) -> [String: String] {
    var result: [String: String] = [:]
    for pair in body.split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let decode = { (text: Substring) in
            String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
        }
        result[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
    }
    return result
}
