import ElevateSigV4
import Foundation
import Testing
import TestSupport

/// Random STS-like Query API POSTs, biased toward the characters encoders get wrong.
struct CaseGenerator {
    var random: SplitMix64

    static let tricky: [String] = [
        " ", "  ", "~", "*", "+", "/", "=", "&", "%", "%20", "-", "_", ".", "!", "'", "(", ")", ":", "@", "?", "#",
        "$", ",", ";", "\t", "\n", "é", "e\u{301}", "ß", "ሴ", "中文", "😀", "\u{A0}", "\u{2028}", "Ω", "\"", "\\",
    ]
    static let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789").map(String.init)
    static let base64 = letters + ["+", "/", "="]
    static let regions = [
        "us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1", "eu-central-2", "il-central-1",
        "me-south-1",
    ]
    static let pathSegments = [
        "a", "role", ".", "..", "", "%41", "%2F", "%20", "é", "$x", "a+b", "a=b", "~u", "*", "ሴ", "@", ":", "-_.", "!",
        "\u{301}x", "e\u{301}", ".\u{301}",
    ]

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

    mutating func pick<T>(_ choices: [T]) -> T { choices[Int.random(in: 0..<choices.count, using: &random)] }

    mutating func text(_ length: ClosedRange<Int>, from pool: [String]) -> String {
        (0..<Int.random(in: length, using: &random)).map { _ in pick(pool) }.joined()
    }

    mutating func mixedText(_ length: ClosedRange<Int>) -> String {
        (0..<Int.random(in: length, using: &random)).map { _ in chance(40) ? pick(Self.tricky) : pick(Self.letters) }
            .joined()
    }

    mutating func headerValue() -> String {
        let printable = (0x21...0x7e).map { String(UnicodeScalar(UInt8($0))) }
        return (0..<Int.random(in: 0...30, using: &random)).map { _ in
            chance(25)
                ? pick([
                    " ", "  ", "\t", " \t ", "\u{0B}", "\u{0C}", "\u{1F}", "\u{85}", "\u{A0}", "\u{2028}", "\u{3000}",
                    "\u{200B}",
                ]) : pick(printable)
        }.joined()
    }

    mutating func next() -> BotocoreOracle.Case {
        let region =
            chance(80)
            ? pick(Self.regions) : "\(text(2...2, from: ["x", "y", "z"]))-test-\(Int.random(in: 1...9, using: &random))"
        let host =
            switch Int.random(in: 0..<20, using: &random) {
            case 0: "sts.amazonaws.com"
            case 1: "localhost:\(Int.random(in: 1024...65535, using: &random))"
            case 2: "127.0.0.1:8443"
            default: "sts.\(region).amazonaws.com"
            }
        var path = "/"
        if chance(20) {
            path =
                "/"
                + (0..<Int.random(in: 1...5, using: &random)).map { _ in pick(Self.pathSegments) }.joined(
                    separator: "/")
            if chance(30) { path += "/" }
        }
        var query: [[String]] = []
        if chance(20) {
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let name = !query.isEmpty && chance(30) ? query[0][0] : mixedText(1...8)
                query.append([name, mixedText(0...12)])
            }
        }
        var headers: [[String]] = []
        if chance(30) {
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let name =
                    !headers.isEmpty && chance(25)
                    ? headers[0][0].uppercased()
                    : chance(15)
                        ? pick(["User-Agent", "Expect", "X-Amzn-Trace-Id"])
                        : "X-Test-" + text(1...6, from: Self.letters)
                headers.append([name, headerValue()])
            }
        }
        var params = [
            ["Action", pick(["AssumeRole", "GetCallerIdentity", "GetSessionToken"])], ["Version", "2011-06-15"],
        ]
        var names: Set<[UInt8]> = [Array("Action".utf8), Array("Version".utf8)]
        for _ in 0..<Int.random(in: 0...8, using: &random) {
            let name =
                chance(30)
                ? pick(["RoleArn", "RoleSessionName", "ExternalId", "Tags.member.1.Key"]) : mixedText(1...10)
            guard names.insert(Array(name.utf8)).inserted else { continue }
            params.append([name, mixedText(0...40)])
        }
        var token: String? = nil
        if chance(70) {
            token = text(16...600, from: Self.base64)
            if chance(10) { token! += "  spaced\tout " }
        }
        return BotocoreOracle.Case(
            accessKey: pick(["AKIA", "ASIA"])
                + text(16...16, from: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567").map(String.init)),
            secretKey: chance(90) ? text(40...40, from: Self.base64) : mixedText(1...50),
            token: token,
            region: region,
            service: "sts",
            host: host,
            path: path,
            query: query,
            headers: headers,
            params: params,
            epochMillis: Int64.random(in: 946_684_800_000...4_102_444_799_999, using: &random)
        )
    }
}

@Suite("botocore as an oracle")
struct BotocoreOracleTests {
    /// Fixed so every run checks the same cases; AWS_ELEVATE_SIGV4_SEED explores others.
    static let seed: UInt64 =
        ProcessInfo.processInfo.environment["AWS_ELEVATE_SIGV4_SEED"].flatMap { UInt64($0) } ?? 0x00E1_E7A7_E516_0004
    static let caseCount = 300

    static func ours(_ testCase: BotocoreOracle.Case) throws -> (body: String, signature: SigV4Signature) {
        var request = SigV4Request.queryAPIPost(
            host: testCase.host, parameters: testCase.params.map { (name: $0[0], value: $0[1]) }
        )
        request.path = testCase.path
        request.query = testCase.query.map { (name: $0[0], value: $0[1]) }
        request.headers += testCase.headers.map { (name: $0[0], value: $0[1]) }
        let signer = SigV4Signer(
            credentials: SigV4Credentials(
                accessKeyId: testCase.accessKey, secretAccessKey: testCase.secretKey, sessionToken: testCase.token
            ),
            region: testCase.region,
            service: testCase.service
        )
        let date = Date(timeIntervalSince1970: Double(testCase.epochMillis) / 1000)
        return (String(decoding: request.body, as: UTF8.self), try signer.sign(request, date: date))
    }

    @Test("random STS-like POSTs sign byte for byte as botocore.auth.SigV4Auth signs them")
    func matchesBotocore() throws {
        var generator = CaseGenerator(random: SplitMix64(state: Self.seed))
        let cases = (0..<Self.caseCount).map { _ in generator.next() }
        let oracle = try BotocoreOracle.sign(cases)
        var mismatches: [String] = []
        for (index, (testCase, expected)) in zip(cases, oracle.results).enumerated() {
            let (body, signature) = try Self.ours(testCase)
            var differences: [String] = []
            if body != expected.body {
                differences.append(
                    "body:\n  ours     \(body.debugDescription)\n  botocore \(expected.body.debugDescription)")
            }
            if signature.canonicalRequest != expected.canonicalRequest {
                differences.append(
                    "canonical request:\n  ours     \(signature.canonicalRequest.debugDescription)\n"
                        + "  botocore \(expected.canonicalRequest.debugDescription)"
                )
            }
            if signature.stringToSign != expected.stringToSign { differences.append("string to sign differs") }
            if signature.authorization != expected.authorization {
                differences.append(
                    "authorization:\n  ours     \(signature.authorization)\n  botocore \(expected.authorization)")
            }
            if signature.amzDate != expected.xAmzDate {
                differences.append("X-Amz-Date: \(signature.amzDate) vs \(expected.xAmzDate)")
            }
            let ourToken = signature.headers.first { $0.name == "X-Amz-Security-Token" }?.value
            if ourToken != expected.securityToken { differences.append("X-Amz-Security-Token differs") }
            if !differences.isEmpty {
                mismatches.append("case \(index) (seed \(Self.seed)): " + differences.joined(separator: "\n"))
            }
        }
        #expect(
            mismatches.isEmpty,
            """
            \(mismatches.count) of \(cases.count) cases differ from botocore \(oracle.botocoreVersion) \
            (seed \(Self.seed); AWS_ELEVATE_SIGV4_SEED=\(Self.seed) replays them):
            \(mismatches.prefix(3).joined(separator: "\n\n"))
            """
        )
    }

    @Test("the oracle comparison notices a wrong secret")
    func oracleCanDisagree() throws {
        var generator = CaseGenerator(random: SplitMix64(state: Self.seed))
        let testCase = generator.next()
        let expected = try #require(try BotocoreOracle.sign([testCase]).results.first)
        var altered = testCase
        altered.secretKey += "x"
        #expect(try Self.ours(testCase).signature.authorization == expected.authorization)
        #expect(try Self.ours(altered).signature.authorization != expected.authorization)
    }
}
