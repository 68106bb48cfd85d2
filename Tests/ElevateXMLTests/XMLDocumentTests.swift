import ElevateXML
import Testing

private func parse(_ text: String, limits: XMLLimits = .default) throws(XMLError) -> XMLElement {
    try XMLDocument.parse(Array(text.utf8), limits: limits)
}

@Suite("STS responses")
struct STSResponseTests {
    @Test("an AssumeRole response yields its credentials and assumed-role ARN")
    func assumeRoleSuccess() throws {
        let root = try parse(Samples.assumeRoleSuccess)
        #expect(root.localName == "AssumeRoleResponse")
        #expect(root.namespaceURI == "https://sts.amazonaws.com/doc/2011-06-15/")
        let credentials = try #require(root.path("AssumeRoleResult", "Credentials"))
        #expect(credentials.child("AccessKeyId")?.text == "ASIAIOSFODNN7EXAMPLE")
        #expect(credentials.child("SecretAccessKey")?.text == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY")
        #expect(credentials.child("SessionToken")?.text.hasPrefix("AQoDYXdzEPT//////////wEXAMPLE") == true)
        #expect(credentials.child("SessionToken")?.text.hasSuffix("oLxBA==") == true)
        #expect(credentials.child("Expiration")?.text == "2019-11-09T13:34:41Z")
        #expect(root.path("AssumeRoleResult", "AssumedRoleUser", "Arn")?.text
            == "arn:aws:sts::123456789012:assumed-role/demo/John")
        #expect(root.path("ResponseMetadata", "RequestId")?.text == "c6104cbe-af31-11e0-8154-cbc7ccf896c7")
        #expect(root.path("AssumeRoleResult", "Missing") == nil)
        #expect(root.path() == root)
    }

    @Test("an ErrorResponse yields its type, code and message")
    func errorResponse() throws {
        let root = try parse(Samples.accessDenied)
        #expect(root.localName == "ErrorResponse")
        let error = try #require(root.child("Error"))
        #expect(error.child("Type")?.text == "Sender")
        #expect(error.child("Code")?.text == "AccessDenied")
        #expect(error.child("Message")?.text.hasPrefix("User: arn:aws:iam::123456789012:user/alice is not") == true)
        #expect(root.child("RequestId")?.text == "4fbb4c8a-4d9e-11ef-9a1b-0242ac120002")
    }
}

@Suite("Document reading")
struct XMLReadingTests {
    @Test("predefined and character entities and CDATA become text; comments and PIs are skipped")
    func textForms() throws {
        let root = try parse("<a>x &amp; &lt;y&gt; &#65;<!-- c --><?pi data?><![CDATA[<z> & ]]>end</a>")
        #expect(root.text == "x & <y> A<z> & end")
        #expect(root.children.isEmpty)
    }

    @Test("prefixed names give local names and namespace URIs; empty elements have empty text")
    func namespacesAndEmpty() throws {
        let root = try parse(#"<p:a xmlns:p="urn:p"><p:b/><c>1</c><c>2</c></p:a>"#)
        #expect(root.localName == "a")
        #expect(root.namespaceURI == "urn:p")
        #expect(root.child("b")?.text == "")
        #expect(root.child("b")?.namespaceURI == "urn:p")
        #expect(root.child("c")?.namespaceURI == nil)
        #expect(root.children(named: "c").map(\.text) == ["1", "2"])
    }

    @Test("text keeps its surrounding whitespace and UTF-8 content")
    func whitespaceAndUnicode() throws {
        let root = try parse("<a>  é ✓ \n</a>")
        #expect(root.text == "  é ✓ \n")
    }

    @Test("documents are read as UTF-8 whatever encoding they declare")
    func utf8Always() throws {
        let declared = try parse("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>é</a>")
        #expect(declared.text == "é")
        let bom = try XMLDocument.parse([0xEF, 0xBB, 0xBF] + Array("<a>b</a>".utf8))
        #expect(bom.text == "b")
        let utf16: [UInt8] = [0xFF, 0xFE] + "<a>b</a>".utf8.flatMap { [$0, 0] }
        #expect {
            try XMLDocument.parse(utf16)
        } throws: { error in
            guard case .malformed = error as? XMLError else { return false }
            return true
        }
    }

    @Test("descriptions never show element text")
    func descriptionHidesText() throws {
        let root = try parse("<Credentials><SecretAccessKey>topsecret</SecretAccessKey></Credentials>")
        let shown = "\(root) \(String(reflecting: root))"
        #expect(!shown.contains("topsecret"))
        #expect(shown.contains("Credentials"))
    }

    @Test("parses from many tasks at once")
    func concurrentParsing() async throws {
        let names = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask { try XMLDocument.parse(Array(Samples.assumeRoleSuccess.utf8)).localName }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(names == Array(repeating: "AssumeRoleResponse", count: 8))
    }
}

@Suite("Hostile and broken input")
struct XMLHostileInputTests {
    @Test(
        "malformed documents are errors",
        arguments: [
            "<a><b></a></b>", "<a>", "<a></a><b></b>", "not xml", "<a>&undefined;</a>", "<a b='1' b='2'/>",
            "<?xml version='1.0'?>", "<a>\u{1}</a>",
        ]
    )
    func malformed(text: String) {
        #expect {
            try parse(text)
        } throws: { error in
            guard case .malformed = error as? XMLError else { return false }
            return true
        }
    }

    @Test("an empty document is malformed")
    func empty() {
        #expect(throws: XMLError.malformed(line: nil)) { try XMLDocument.parse([]) }
    }

    @Test("invalid UTF-8 is malformed")
    func invalidUTF8() {
        #expect {
            try XMLDocument.parse(Array("<a>".utf8) + [0xC3, 0x28, 0xFF] + Array("</a>".utf8))
        } throws: { error in
            guard case .malformed = error as? XMLError else { return false }
            return true
        }
    }

    @Test("the malformed error gives the line, never the content")
    func malformedLine() {
        #expect(throws: XMLError.malformed(line: 3)) { try parse("<a>\n<b>secret\n</a>") }
        #expect(!"\(XMLError.malformed(line: 3))".contains("secret"))
    }

    @Test("an external entity (XXE) is refused, never read")
    func externalEntity() {
        let text = """
            <?xml version="1.0"?>
            <!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
            <x>&e;</x>
            """
        #expect(throws: XMLError.doctypeNotAllowed) { try parse(text) }
    }

    @Test("an external DTD is refused, never fetched")
    func externalDTD() {
        let text = #"<!DOCTYPE x SYSTEM "http://127.0.0.1:1/evil.dtd"><x>1</x>"#
        #expect(throws: XMLError.doctypeNotAllowed) { try parse(text) }
    }

    @Test("nested internal entities (billion laughs) are refused")
    func billionLaughs() {
        var declarations = #"<!ENTITY l0 "lol">"#
        for level in 1...9 {
            declarations += "<!ENTITY l\(level) \"" + String(repeating: "&l\(level - 1);", count: 10) + "\">"
        }
        let text = "<!DOCTYPE x [\(declarations)]><x>&l9;</x>"
        #expect(throws: XMLError.doctypeNotAllowed) { try parse(text) }
    }

    @Test("a DOCTYPE is refused wherever it appears, even inside a comment")
    func doctypeAnywhere() {
        #expect(throws: XMLError.doctypeNotAllowed) { try parse("<!DOCTYPE x><x/>") }
        #expect(throws: XMLError.doctypeNotAllowed) { try parse("<x><!-- <!DOCTYPE --></x>") }
    }

    @Test("nesting deeper than the limit is an error; at the limit it parses")
    func depthLimit() throws {
        func nested(_ depth: Int) -> String {
            String(repeating: "<a>", count: depth) + "x" + String(repeating: "</a>", count: depth)
        }
        var element = try parse(nested(64))
        for _ in 1..<64 { element = try #require(element.child("a")) }
        #expect(element.text == "x")
        #expect(throws: XMLError.tooDeep(limit: 64)) { try parse(nested(65)) }
        #expect(throws: XMLError.tooDeep(limit: 64)) { try parse(nested(100_000)) }
    }

    @Test("a document over the size limit is refused before parsing")
    func sizeLimit() {
        let text = "<a>" + String(repeating: "x", count: 2_000) + "</a>"
        #expect(throws: XMLError.tooLarge(limit: 1_000)) { try parse(text, limits: XMLLimits(maxBytes: 1_000)) }
        #expect(throws: XMLError.tooLarge(limit: 1 << 20)) {
            try XMLDocument.parse(Array(repeating: UInt8(ascii: " "), count: (1 << 20) + 1))
        }
    }

    @Test("a document with more elements than the limit is refused")
    func elementLimit() throws {
        let text = "<a>" + String(repeating: "<b/>", count: 100) + "</a>"
        #expect(throws: XMLError.tooManyElements(limit: 50)) { try parse(text, limits: XMLLimits(maxElements: 50)) }
        #expect(try parse(text, limits: XMLLimits(maxElements: 101)).children.count == 100)
    }
}
