import ElevateSigV4
import Testing

@Suite("Query API form encoding")
struct FormEncodingTests {
    @Test("parameters keep their order and are joined with '&'")
    func order() {
        let body = formURLEncode([("Action", "AssumeRole"), ("Version", "2011-06-15"), ("DurationSeconds", "900")])
        #expect(body == "Action=AssumeRole&Version=2011-06-15&DurationSeconds=900")
    }

    @Test("unreserved characters are kept and everything else is percent-encoded in upper-case hex")
    func reserved() {
        let unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
        #expect(formURLEncode([("k", unreserved)]) == "k=" + unreserved)
        #expect(formURLEncode([("k", "*+/=&%:@!'()")]) == "k=%2A%2B%2F%3D%26%25%3A%40%21%27%28%29")
    }

    @Test("a space becomes '+', as botocore's AWSRequest body does for STS")
    func space() {
        #expect(formURLEncode([("Role Session", "a b")]) == "Role+Session=a+b")
    }

    @Test("non-ASCII text is encoded as UTF-8")
    func unicode() {
        #expect(formURLEncode([("ሴ", "é😀")]) == "%E1%88%B4=%C3%A9%F0%9F%98%80")
    }

    @Test("no parameters give an empty body, empty values keep their '='")
    func empty() {
        #expect(formURLEncode([]) == "")
        #expect(formURLEncode([("ExternalId", "")]) == "ExternalId=")
    }

    @Test("queryAPIPost builds botocore's STS request shape")
    func queryAPIPost() {
        let request = SigV4Request.queryAPIPost(
            host: "sts.eu-west-1.amazonaws.com",
            parameters: [("Action", "GetCallerIdentity"), ("Version", "2011-06-15")]
        )
        #expect(request.method == "POST")
        #expect(request.path == "/")
        #expect(request.query.isEmpty)
        #expect(
            request.headers.map { [$0.name, $0.value] } == [
                ["Content-Type", "application/x-www-form-urlencoded; charset=utf-8"]
            ])
        #expect(request.body == Array("Action=GetCallerIdentity&Version=2011-06-15".utf8))
    }
}
