#if canImport(Glibc)
import Glibc
#endif
import ElevateCore
import Testing

@testable import ElevateConfig

/// The indexed form of a file (sections found by the byte scanner, parsed when asked for) against the whole parse.
@Suite("INI files indexed without parsing every section")
struct INIIndexTests {
    /// Files at the scanner's edges: each must read the same indexed and parsed whole.
    static let edges: [(String, String)] = [
        ("CRLF line ends", "[profile a]\r\nregion = x\r\n[profile b]\r\nregion = y\r\n"),
        ("lone CR line ends", "[profile a]\rregion = x\r[profile b]\rregion = y"),
        ("mixed line ends and no final one", "[profile a]\nk = 1\r\n[profile b]\rk = 2"),
        ("[DEFAULT] blocks on both sides", "[DEFAULT]\nregion = d\n[profile a]\nk = 1\n[DEFAULT]\nother = 2\n"),
        ("[DEFAULT] repeating a key across its blocks", "[DEFAULT]\nk = 1\n[a]\n[DEFAULT]\nK = 2\n"),
        ("continuation lines", "[profile a]\nk = one\n  two\n\n  three\nn = 1\n"),
        ("a sub-section", "[profile a]\ns3 =\n  max_concurrent_requests = 2\n  addressing_style=path\n"),
        ("a sub-section line without '='", "[profile a]\ns3 =\n  max_concurrent_requests\n"),
        ("a sub-section after an empty value of Unicode spaces", "[profile a]\ns3 = \u{A0}\n  x = 1\n"),
        ("a sub-section line with a vertical tab", "[profile a]\ns3 =\n  a = 1\u{0B}b = 2\n"),
        ("an indented header read as a continuation", "[profile a]\nk = 1\n  [profile b]\n"),
        ("an indented header after a header", "[profile a]\n  [profile b]\n"),
        ("a line before any section", "k = 1\n[profile a]\n"),
        ("a line without a delimiter", "[profile a]\njust words\n"),
        ("an empty key", "[profile a]\n = 1\n"),
        ("a header of one character", "[x]\n[]\n"),
        ("text after the last ']'", "[profile a] ; comment ] tail\nk = 1\n"),
        ("a duplicate key in other case", "[profile a]\nRegion = 1\nregion = 2\n"),
        ("a duplicate key through the Kelvin sign", "[profile a]\n\u{212A} = 1\nk = 2\n"),
        ("non-ASCII keys that differ", "[profile a]\n\u{E9} = 1\ne\u{301} = 2\n"),
        ("a key with a trailing no-break space", "[profile a]\nkey\u{A0}= 1\nKEY = 2\n"),
        ("a line starting with a no-break space", "[profile a]\nk = 1\n\u{A0}more = 2\n"),
        ("a byte order mark", "\u{FEFF}[profile a]\nk = 1\n"),
        ("non-ASCII values and names", "[profile caf\u{E9}]\nnote = \u{E9}t\u{E9}\n[profile \u{65E5}]\nk = \u{2028}\n"),
        ("quoted and odd profile headers", "[profile \"a b\"]\nk = 1\n[profiles c]\nk = 2\n[profile  d]\nk = 3\n[profile\te]\n"),
        ("a later header naming the same profile", "[default]\nk = 1\n[profile default]\nk = 2\n[profile 'default']\nk = 3\n"),
        ("duplicate sections far apart", "[profile a]\nk = 1\n[profile b]\n[profile a]\n"),
        ("[DEFAULT] and [default]", "[DEFAULT]\nk = 1\n[default]\nj = 2\n"),
        ("services and sso-session sections", "[services s]\nsts =\n  endpoint_url = http://x\n[sso-session x]\nk = 1\n[profile a]\nservices = s\n"),
        ("comments everywhere", "# top\n[profile a]\n; one\n  # indented\nk = 1\n    ; indented in a value\n  more\n"),
        ("a form feed before a header", "\u{0C}[profile a]\nk = 1\n"),
        ("an empty file", ""),
        ("only comments", "# nothing\n;\n"),
    ]

    @Test("edge files read the same indexed and parsed whole", arguments: edges.map(\.0))
    func edge(_ name: String) throws {
        let text = try #require(Self.edges.first { $0.0 == name }?.1)
        #expect(INIFileAgreement.difference(Array(text.utf8)) == nil)
    }

    @Test("every botocore fixture case reads the same indexed and parsed whole", arguments: INICase.all)
    func fixture(_ testCase: INICase) {
        for text in [testCase.config?.content, testCase.credentials?.content].compactMap({ $0 }) {
            #expect(INIFileAgreement.difference(Array(text.utf8)) == nil)
        }
    }

    @Test("plain files are indexed; a line starting outside ASCII sends the file to the whole parse")
    func indexedOrNot() throws {
        #expect(try INIFile(Array("[profile a]\nk = caf\u{E9}\n# \u{E9}\n".utf8), path: "c").isIndexed)
        #expect(try !INIFile(Array("[profile a]\n\u{E9} = 1\n".utf8), path: "c").isIndexed)
        #expect(try !INIFile(Array("[profile a]\ns3 =\n  a = \u{E9}\n".utf8), path: "c").isIndexed)
    }

    @Test("an error is the whole parser's, with its line")
    func errors() throws {
        let text = "[profile a]\nk = 1\n" + String(repeating: "[p]\n", count: 1) + "[profile b]\nk = 1\nk = 2\n"
        let error = try #require(throws: ConfigError.self) { try INIFile(Array(text.utf8), path: "c") }
        #expect(syntaxLocation(error) == FileLocation(path: "c", line: 6))
    }

    @Test("a profile is found among many, with [DEFAULT] keys and the line of each key")
    func lookup() throws {
        var text = "[DEFAULT]\ninherited = yes\n"
        for index in 0..<5000 { text += "[profile p\(index)]\nrole_arn = arn:\(index)\nsource_profile = base\n" }
        let config = try AWSConfig.parse(
            config: text, credentials: "[base]\naws_access_key_id = AKIDEXAMPLE\n",
            files: ConfigFiles(configPath: "c", credentialsPath: "k"))
        #expect(config.configFile?.isIndexed == true)
        let profile = try #require(config.profile(named: "p4321"))
        #expect(profile.values == ["role_arn": "arn:4321", "source_profile": "base", "inherited": "yes"])
        #expect(config.location(of: "role_arn", in: "p4321") == FileLocation(path: "c", line: 3 + 4321 * 3 + 1))
        #expect(config.profile(named: "p5000") == nil)
        #expect(config.profile(named: "base")?.values["aws_access_key_id"] == "AKIDEXAMPLE")
        #expect(config.profileNames.count == 5001)
    }

    // Shapes that a quadratic step would take minutes over: the limit fails the test well before that.
    @Test("4 MiB of repeated keys, sections or continuation lines is read in linear time", .timeLimit(.minutes(1)))
    func noQuadraticStep() throws {
        let limit = AWSConfig.maximumFileSize - 64
        var keys = "[profile big]\n"
        var index = 0
        while keys.utf8.count < limit {
            keys += "key\(index) = \(index)\n"
            index += 1
        }
        keys += "KEY7 = again\n"
        let error = try #require(throws: ConfigError.self) { try INIFile(Array(keys.utf8), path: "c") }
        #expect(syntaxLocation(error)?.line == index + 2)

        var sections = ""
        index = 0
        while sections.utf8.count < limit {
            sections += "[profile s\(index)]\n"
            index += 1
        }
        let many = try INIFile(Array(sections.utf8), path: "c")
        #expect(many.isIndexed)
        #expect(many.lastSection(.profile, named: "s\(index - 1)") != nil)

        var lines = "[profile long]\nvalue = start\n"
        while lines.utf8.count < limit { lines += "  more\n" }
        let long = try INIFile(Array(lines.utf8), path: "c")
        #expect(long.lastSection(.profile, named: "long")?.entries.first?.key == "value")
    }
}

/// Large files as a run opens them: scanned in reads of ``ConfigFileContents/chunkSize``, sections read back from
/// disk.
@Suite("large INI files read in parts from disk")
struct INIFileOnDiskTests {
    static let chunk = ConfigFileContents.chunkSize

    /// `count` generated profiles of about 100 bytes.
    static func filler(_ count: Int, from start: Int = 0) -> String {
        (start..<(start + count)).map { "[profile gen\($0)]\nsso_account_id = \(100_000_000_000 + $0)\nregion = us-east-1\n\n" }
            .joined()
    }

    /// Text padded with comment lines so that `tail` starts exactly `at` bytes into the file.
    static func placing(_ tail: String, at offset: Int, after head: String = "[profile head]\n") -> String {
        var text = head
        while text.utf8.count + 40 < offset { text += "# " + String(repeating: "x", count: 36) + "\n" }
        text += "#" + String(repeating: "y", count: offset - text.utf8.count - 2) + "\n"
        precondition(text.utf8.count == offset)
        return text + tail
    }

    static let files: [(String, String)] = [
        ("thousands of profiles", filler(3000)),
        ("CRLF line ends across every read", filler(3000).replacingOccurrences(of: "\n", with: "\r\n")),
        ("lone CR line ends", filler(3000).replacingOccurrences(of: "\n", with: "\r")),
        ("a CR LF split by the read boundary", placing("k = 1\r\nj = 2\r\n" + filler(10), at: chunk - 6)),
        ("a CR at the read boundary, then a line", placing("k = 1\r[profile z]\rj = 2\r", at: chunk - 6)),
        ("a non-ASCII character split by the read boundary", placing("k = \u{65E5}\u{672C}\n", at: chunk - 5)),
        ("a line longer than a read", "[profile long]\nvalue = " + String(repeating: "v", count: 3 * chunk) + "\n"),
        ("[DEFAULT] at both ends", "[DEFAULT]\nregion = d\n" + filler(2000) + "[DEFAULT]\nother = o\n"),
        ("a duplicate key at the end", filler(2000) + "[profile last]\nk = 1\nK = 2\n"),
        ("a duplicate section far apart", filler(2000) + "[profile gen5]\n"),
        ("a line starting outside ASCII", filler(2000) + "[profile u]\n\u{A0}k = 1\n"),
        ("a sub-section line without '=' at the end", filler(2000) + "[profile s]\ns3 =\n  nothing\n"),
        ("no final line end", filler(2000) + "[profile end]\nk = v"),
        ("not UTF-8 at the end", filler(2000) + "[profile bad]\nk = \u{FFFD}\n"),
    ]

    @Test("large files read the same in parts as parsed whole, errors included", arguments: files.map(\.0))
    func agreement(_ name: String) throws {
        var bytes = Array(try #require(Self.files.first { $0.0 == name }?.1).utf8)
        if name == "not UTF-8 at the end", let index = bytes.lastIndex(of: 0xBD) { bytes[index] = 0xFF }
        #expect(bytes.count > Self.chunk)
        let path = try temporaryFile(bytes)
        defer { unlink(path) }
        #expect(INIFileAgreement.difference(atPath: path) == nil)
    }

    @Test("a file edited in place after it was scanned is reported, not read half old and half new")
    func editedInPlace() throws {
        let path = try temporaryFile(Array(Self.filler(2000).utf8))
        defer { unlink(path) }
        let files = ConfigFiles(configPath: path, credentialsPath: path + ".none")
        let config = try AWSConfig.load(files)
        #expect(config.configFile?.isIndexed == true)
        #expect(config.profile(named: "gen1999")?.values["sso_account_id"] == "100000001999")
        try config.checkUnchanged()
        let fd = open(path, O_WRONLY | O_APPEND)
        _ = "[profile new]\n".withCString { write(fd, $0, strlen($0)) }
        close(fd)
        #expect(config.profile(named: "gen1999") == nil)
        let error = try #require(throws: ConfigError.self) { try config.checkUnchanged() }
        #expect(error.problem.contains("changed while it was read"))
    }
}

/// A file holding `bytes` under the temporary directory; the caller removes it.
func temporaryFile(_ bytes: [UInt8]) throws -> String {
    var template = Array("/tmp/aws-elevate-ini-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    try #require(fd >= 0)
    defer { close(fd) }
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    try #require(written == bytes.count)
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
