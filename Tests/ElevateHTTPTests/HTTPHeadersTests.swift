import ElevateHTTP
import Testing

@Suite("Header lists")
struct HTTPHeadersTests {
    @Test("lookup ignores ASCII case and returns the first value")
    func caseInsensitiveLookup() {
        let headers: HTTPHeaders = ["Content-Type": "text/xml", "X-Amz-Date": "20240101T000000Z", "x-amz-date": "2"]
        #expect(headers["content-type"] == "text/xml")
        #expect(headers["X-AMZ-DATE"] == "20240101T000000Z")
        #expect(headers.values(for: "x-Amz-Date") == ["20240101T000000Z", "2"])
        #expect(headers.contains("CONTENT-type"))
        #expect(headers["Content-Typ"] == nil)
    }

    @Test("set replaces every field of that name and remove drops them")
    func setAndRemove() {
        var headers: HTTPHeaders = ["A": "1", "a": "2", "B": "3"]
        headers.set(name: "A", value: "9")
        #expect(headers.values(for: "a") == ["9"])
        headers.remove(name: "b")
        #expect(headers.count == 1)
    }

    @Test("descriptions list header names, never values")
    func descriptionHidesValues() {
        let headers: HTTPHeaders = ["Authorization": "AWS4-HMAC-SHA256 secret", "X-Amz-Security-Token": "token"]
        let shown = "\(headers) \(String(reflecting: headers))"
        #expect(shown.contains("Authorization"))
        #expect(!shown.contains("secret"))
        #expect(!shown.contains("token\""))
        let response = HTTPResponse(status: 200, headers: headers, body: Array("SecretAccessKey".utf8))
        #expect("\(response)" == "200 (15 bytes)")
        #expect(!String(reflecting: response).contains("SecretAccessKey"))
    }
}
