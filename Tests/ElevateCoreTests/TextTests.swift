import ElevateCore
import Testing

@Suite("Text helpers")
struct TextTests {
    @Test("white space is trimmed at both ends only", arguments: [
        ("", ""), ("   ", ""), ("file", "file"), ("  file\t", "file"), ("\r\nkeyring\n", "keyring"),
        ("a b", "a b"), ("\u{00A0}none\u{2003}", "none"), ("\u{3000}\u{FEFF}x", "\u{FEFF}x"),
        ("é ", "é"), (" e\u{301}", "e\u{301}"), ("\u{0B}\u{0C}15\u{85}", "15"),
    ])
    func trimming(text: String, expected: String) {
        #expect(trimmingWhitespace(text).unicodeScalars.elementsEqual(expected.unicodeScalars))
    }

    @Test("join matches joined(separator:)", arguments: [[], [""], ["a"], ["a", "b"], ["", "", ""], ["x", "", "é", "🚀"]])
    func joining(strings: [String]) {
        #expect(join(strings, separator: ", ") == strings.joined(separator: ", "))
        #expect(join(strings, separator: "") == strings.joined())
    }
}

@Suite("byte-exact replacing")
struct ReplacingBytesTests {
    @Test("every occurrence goes, whatever follows it, and nothing else changes")
    func replaces() {
        #expect(replacingBytes(of: "ab", with: "<x>", in: "ab\u{301}cab") == "<x>\u{301}c<x>")
        #expect(replacingBytes(of: "aa", with: "-", in: "aaa") == "-a")
        #expect(replacingBytes(of: "", with: "-", in: "abc") == "abc")
        #expect(replacingBytes(of: "zz", with: "-", in: "abc") == "abc")
        #expect(replacingBytes(of: "long-needle", with: "-", in: "short") == "short")
    }
}
