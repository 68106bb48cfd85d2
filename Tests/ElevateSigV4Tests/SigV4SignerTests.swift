import ElevateSigV4
import Foundation
import Testing

@Suite("SigV4 signer")
struct SigV4SignerTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z

    static func signer(token: String? = nil, region: String = "us-east-1", service: String = "service") -> SigV4Signer {
        SigV4Signer(
            credentials: SigV4Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: secret, sessionToken: token),
            region: region,
            service: service
        )
    }

    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    // Expected values computed by botocore 1.43.11 (Tests/support/botocore_sign.py) and pinned here so the signer
    // is checked even where Python is unavailable.
    @Test("an STS AssumeRole POST with a session token signs as botocore does")
    func assumeRoleRegression() throws {
        let token = "FwoGZXIvYXdzEXAMPLE//////////wEaDEXAMPLETOKEN+abc/def=="
        let signer = SigV4Signer(
            credentials: SigV4Credentials(
                accessKeyId: "ASIAEXAMPLEEXAMPLE12", secretAccessKey: Self.secret, sessionToken: token),
            region: "eu-west-1",
            service: "sts"
        )
        let request = SigV4Request.queryAPIPost(
            host: "sts.eu-west-1.amazonaws.com",
            parameters: [
                ("Action", "AssumeRole"), ("Version", "2011-06-15"),
                ("RoleArn", "arn:aws:iam::123456789012:role/Admin Role"), ("RoleSessionName", "alice@example.com"),
                ("DurationSeconds", "3600"),
            ]
        )
        #expect(
            String(decoding: request.body, as: UTF8.self)
                == "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FAdmin+Role&RoleSessionName=alice%40example.com&DurationSeconds=3600"
        )
        let signature = try signer.sign(request, date: Self.date)
        #expect(
            signature.canonicalRequest
                == "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\nhost:sts.eu-west-1.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:\(token)\n\ncontent-type;host;x-amz-date;x-amz-security-token\nf3f0d64aa280be56306984e609befbe3cffa758b887f685f850b343920d499de"
        )
        #expect(
            signature.stringToSign
                == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/eu-west-1/sts/aws4_request\n6a974ddf226de46723d147686a7388ecb059a81842696d42b1b87334ae1e722b"
        )
        #expect(
            signature.authorization
                == "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEEXAMPLE12/20150830/eu-west-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=01b37f11fb882459b33ff9ceec090baca755c89b782358ce3d86f3ad189e33cd"
        )
        #expect(signature.headers.map(\.name) == ["X-Amz-Date", "X-Amz-Security-Token", "Authorization"])
        #expect(signature.headers[1].value == token)
        #expect(signature.signature == "01b37f11fb882459b33ff9ceec090baca755c89b782358ce3d86f3ad189e33cd")
        #expect(signature.credentialScope == "20150830/eu-west-1/sts/aws4_request")
        #expect(signature.signedHeaders == "content-type;host;x-amz-date;x-amz-security-token")
        #expect(signature.amzDate == "20150830T123600Z")
    }

    @Test("a GetCallerIdentity POST without a token signs as botocore does")
    func getCallerIdentityRegression() throws {
        let request = SigV4Request.queryAPIPost(
            host: "sts.amazonaws.com", parameters: [("Action", "GetCallerIdentity"), ("Version", "2011-06-15")]
        )
        let signature = try Self.signer(service: "sts").sign(request, date: Self.date)
        #expect(
            signature.authorization
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=6fb20d31f734d876c5682fdd2678d194cf68b862755f83b7ba1373c0874be25c"
        )
        #expect(signature.headers.map(\.name) == ["X-Amz-Date", "Authorization"])
    }

    @Test("path segments are normalised and encoded a second time")
    func pathEncoding() throws {
        let request = SigV4Request(method: "get", host: "example.amazonaws.com", path: "/a%20b/./c//../d é$/")
        let canonical = try Self.signer().sign(request, date: Self.date).canonicalRequest
        #expect(Self.lines(canonical)[0] == "GET")
        #expect(Self.lines(canonical)[1] == "/a%2520b/d%20%C3%A9%24/")
    }

    @Test("a combining mark after '/' does not hide the separator")
    func combiningMarkAfterSlash() throws {
        let request = SigV4Request(method: "GET", host: "example.amazonaws.com", path: "/a/..\u{301}/../\u{301}b/")
        #expect(Self.lines(try Self.signer().sign(request, date: Self.date).canonicalRequest)[1] == "/a/%CC%81b/")
    }

    @Test(
        "an empty path signs as '/' and a path of only dot segments collapses to '/'",
        arguments: ["", "/", "/./..", "//"])
    func rootPaths(path: String) throws {
        let request = SigV4Request(method: "GET", host: "example.amazonaws.com", path: path)
        #expect(Self.lines(try Self.signer().sign(request, date: Self.date).canonicalRequest)[1] == "/")
    }

    @Test("query parameters are encoded then sorted by name, and by value for repeated names")
    func querySorting() throws {
        let request = SigV4Request(
            method: "GET", host: "example.amazonaws.com",
            query: [("a-b", "1"), ("a", "z"), ("a", "y"), ("b", "x y+~*"), ("é", "")]
        )
        let canonical = try Self.signer().sign(request, date: Self.date).canonicalRequest
        // Sorting name/value pairs puts "a" before "a-b", unlike sorting the joined "a=..." strings.
        #expect(Self.lines(canonical)[2] == "%C3%A9=&a=y&a=z&a-b=1&b=x%20y%2B~%2A")
    }

    @Test("header names are lower-cased and sorted, values trimmed, repeats comma-joined in order")
    func headers() throws {
        let request = SigV4Request(
            method: "POST", host: "ignored.example.com",
            headers: [("Host", "example.amazonaws.com"), ("X-B", " two\t  words "), ("x-a", "1"), ("X-A", " 2 ")]
        )
        let signature = try Self.signer().sign(request, date: Self.date)
        #expect(
            Self.lines(signature.canonicalRequest)[3...6]
                == ["host:example.amazonaws.com", "x-a:1,2", "x-amz-date:20150830T123600Z", "x-b:two words"]
        )
        #expect(signature.signedHeaders == "host;x-a;x-amz-date;x-b")
    }

    @Test("the host field is signed when no Host header is given")
    func hostField() throws {
        let request = SigV4Request(method: "POST", host: "localhost:5000")
        #expect(
            Self.lines(try Self.signer().sign(request, date: Self.date).canonicalRequest)[3] == "host:localhost:5000")
    }

    @Test("hop-by-hop headers and User-Agent are not signed")
    func unsignedHeaders() throws {
        let request = SigV4Request(
            method: "POST", host: "example.amazonaws.com",
            headers: [
                ("User-Agent", "aws-elevate"), ("Connection", "close"), ("Expect", "100-continue"),
                ("X-Amzn-Trace-Id", "1"),
            ]
        )
        #expect(try Self.signer().sign(request, date: Self.date).signedHeaders == "host;x-amz-date")
    }

    @Test("stale Authorization, X-Amz-Date and X-Amz-Security-Token headers are replaced")
    func resigning() throws {
        let request = SigV4Request(
            method: "POST", host: "example.amazonaws.com",
            headers: [
                ("Authorization", "old"), ("X-Amz-Date", "20000101T000000Z"), ("X-Amz-Security-Token", "old-token"),
            ]
        )
        let signature = try Self.signer(token: "new-token").sign(request, date: Self.date)
        #expect(signature.canonicalRequest.contains("x-amz-date:20150830T123600Z\nx-amz-security-token:new-token\n"))
        #expect(!signature.canonicalRequest.contains("old"))
        #expect(signature.signedHeaders == "host;x-amz-date;x-amz-security-token")
    }

    @Test("X-Amz-Content-SHA256 stands in for the body hash")
    func contentSHA256() throws {
        let request = SigV4Request(
            method: "PUT", host: "example.amazonaws.com", headers: [("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")],
            body: [1, 2, 3]
        )
        #expect(
            Self.lines(try Self.signer().sign(request, date: Self.date).canonicalRequest).last == "UNSIGNED-PAYLOAD")
    }

    @Test("the body hash is the SHA-256 of the body")
    func bodyHash() throws {
        let request = SigV4Request(method: "POST", host: "example.amazonaws.com", body: Array("Param1=value1".utf8))
        #expect(
            Self.lines(try Self.signer().sign(request, date: Self.date).canonicalRequest).last
                == "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
        )
    }

    @Test("a Date header is refused rather than silently diverging from botocore")
    func dateHeader() {
        let request = SigV4Request(
            method: "GET", host: "example.amazonaws.com", headers: [("date", "Sun, 30 Aug 2015")])
        #expect(throws: SigV4Error.unsupportedHeader(name: "date")) { try Self.signer().sign(request, date: Self.date) }
    }

    @Test(
        "timestamps are UTC, floored to the second, across the supported range",
        arguments: [
            (1_440_938_160.999, "20150830T123600Z"),
            (0, "19700101T000000Z"),
            (-0.5, "19691231T235959Z"),
            (951_782_400, "20000229T000000Z"),
            (1_709_251_199, "20240229T235959Z"),
            (4_102_444_800, "21000101T000000Z"),
            (-62_135_596_800, "00010101T000000Z"),
            (253_402_300_799.9, "99991231T235959Z"),
        ]
    )
    func timestamps(seconds: Double, expected: String) throws {
        let request = SigV4Request(method: "GET", host: "example.amazonaws.com")
        let signature = try Self.signer().sign(request, date: Date(timeIntervalSince1970: seconds))
        #expect(signature.amzDate == expected)
        #expect(signature.credentialScope.hasPrefix(String(expected.prefix(8)) + "/"))
    }

    @Test(
        "dates a four-digit year cannot express are refused",
        arguments: [-62_135_596_801, 253_402_300_800, .infinity, -.infinity, 1e300]
    )
    func outOfRange(seconds: Double) {
        let request = SigV4Request(method: "GET", host: "example.amazonaws.com")
        #expect(throws: SigV4Error.dateOutOfRange(secondsSince1970: seconds)) {
            try Self.signer().sign(request, date: Date(timeIntervalSince1970: seconds))
        }
    }

    @Test("a NaN date is refused")
    func notANumber() {
        let request = SigV4Request(method: "GET", host: "example.amazonaws.com")
        #expect {
            try Self.signer().sign(request, date: Date(timeIntervalSince1970: .nan))
        } throws: { error in
            guard case SigV4Error.dateOutOfRange(let seconds) = error else { return false }
            return seconds.isNaN
        }
    }

    @Test("redactedCanonicalRequest hides only the token value")
    func redactedCanonicalRequest() throws {
        let signature = try Self.signer(token: "TOKEN-VALUE").sign(
            SigV4Request(method: "GET", host: "example.amazonaws.com"), date: Self.date
        )
        #expect(signature.canonicalRequest.contains("TOKEN-VALUE"))
        #expect(!signature.redactedCanonicalRequest.contains("TOKEN-VALUE"))
        #expect(
            signature.redactedCanonicalRequest
                == signature.canonicalRequest.replacingOccurrences(of: "TOKEN-VALUE", with: "<redacted>")
        )
    }

    @Test("SigV4Error messages are lowercase and quote the offending value")
    func errorMessages() {
        #expect(SigV4Error.unsupportedHeader(name: "Date").description.hasPrefix("unsupported header 'Date'"))
        #expect(SigV4Error.dateOutOfRange(secondsSince1970: 1e300).description.hasPrefix("signing date '1e+300'"))
        #expect(SigV4Error.crypto(.authenticationFailed).description.hasPrefix("signing failed: authentication failed"))
    }
}
