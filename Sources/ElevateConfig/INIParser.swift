/// A setting's value: plain text, or a sub-section (`s3 =` followed by indented `key = value` lines).
enum INIValue: Sendable, Equatable {
    case plain(String)
    /// Sub-section keys keep their case, as botocore leaves them.
    case nested([String: String])
}

/// A parsed INI file: its sections in file order, each with the `[DEFAULT]` keys it inherits.
struct INIDocument: Sendable {
    struct Entry: Sendable, Equatable {
        var key: String
        var value: INIValue
        var line: Int
    }

    struct Section: Sendable, Equatable {
        var name: String
        var line: Int
        var entries: [Entry]
        /// The last line that belongs to the section: its header, a setting or a continuation line (comments and
        /// empty lines after it do not).
        var lastLine: Int
        /// The last line of the section that is not a continuation (a setting, or the header): its indentation is
        /// the level against which the lines after the section are read.
        var levelLine: Int
    }

    var sections: [Section]
}

/// Reads INI text with the meaning of Python's `configparser.RawConfigParser()` (strict mode, `=` and `:`
/// delimiters, `#`/`;` whole-line comments, empty lines kept inside values, no interpolation), followed by
/// botocore's sub-section parsing of values that start with a line break.
///
/// configparser keeps going after a malformed line and reports all of them at the end; this parser stops at the
/// first problem instead. Both reject exactly the same files.
enum INIParser {
    static func parse(_ bytes: [UInt8], path: String) throws(ConfigError) -> INIDocument {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .notUTF8(FileLocation(path: path, line: firstInvalidLine(bytes)))
        }
        let source = SourceText(utf8: bytes, text: text)
        var state = ParseState(path: path, source: source)
        try read(source, firstLine: 1, into: &state)
        return try state.finish()
    }

    /// Parses only some blocks of a UTF-8 file, in the order given: each is the bytes from a section header's line
    /// up to the next header's line (``INIIndex/Block``), with that header's line number, so it reads as it does
    /// within the whole file.
    static func parse(blocks: [(bytes: [UInt8], line: Int)], path: String) throws(ConfigError) -> INIDocument {
        var state: ParseState?
        for block in blocks {
            // A block that does not start and end on whole characters never comes from a scan, but its bytes come
            // from disk: checked, as the whole parse checks them.
            guard let text = String(validating: block.bytes, as: UTF8.self) else {
                throw .notUTF8(FileLocation(path: path, line: block.line - 1 + firstInvalidLine(block.bytes)))
            }
            let source = SourceText(utf8: block.bytes, text: text)
            if state == nil { state = ParseState(path: path, source: source) }
            state!.source = source
            try read(source, firstLine: block.line, into: &state!)
        }
        return try state?.finish() ?? INIDocument(sections: [])
    }

    private static func read(_ source: SourceText, firstLine: Int, into state: inout ParseState) throws(ConfigError) {
        let scalars = source.scalars
        var number = firstLine - 1
        var start = 0
        var index = 0
        // Universal newlines, as Python reads text files: \n, \r\n and a lone \r each end a line.
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\n" || scalar == "\r" {
                number += 1
                try state.consume(start..<index, number: number)
                if scalar == "\r", index + 1 < scalars.count, scalars[index + 1] == "\n" { index += 1 }
                start = index + 1
            }
            index += 1
        }
        if start < scalars.count {
            try state.consume(start..<scalars.count, number: number + 1)
        }
    }

    /// The number of the first line that is not UTF-8 (only called once the whole file failed to decode).
    static func firstInvalidLine(_ bytes: [UInt8]) -> Int {
        for (number, range) in lineRanges(bytes) where String(validating: bytes[range], as: UTF8.self) == nil {
            return number
        }
        return 1
    }

    /// Line ranges with Python's universal newlines: `\n`, `\r\n` and a lone `\r` each end a line.
    static func lineRanges(_ bytes: [UInt8]) -> [(number: Int, range: Range<Int>)] {
        var lines: [(Int, Range<Int>)] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0A || byte == 0x0D {
                lines.append((lines.count + 1, start..<index))
                if byte == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A { index += 1 }
                start = index + 1
            }
            index += 1
        }
        if start < bytes.count { lines.append((lines.count + 1, start..<bytes.count)) }
        return lines
    }
}

/// A file's text as Unicode scalars (Python indexes code points), with a way back to its UTF-8 bytes: a range of
/// scalars becomes a `String` by copying bytes, not by encoding scalar after scalar.
private struct SourceText {
    let scalars: [Unicode.Scalar]
    private let utf8: [UInt8]
    /// The byte offset of every scalar and of the end; nil when every scalar is one byte (ASCII text).
    private let offsets: [Int]?

    init(utf8: [UInt8], text: String) {
        self.utf8 = utf8
        scalars = Array(text.unicodeScalars)
        if scalars.count == utf8.count {
            offsets = nil
        } else {
            var offsets: [Int] = []
            offsets.reserveCapacity(scalars.count + 1)
            var offset = 0
            for scalar in scalars {
                offsets.append(offset)
                offset += UTF8.width(scalar)
            }
            offsets.append(offset)
            self.offsets = offsets
        }
    }

    func string(_ range: Range<Int>) -> String {
        let lower = offsets?[range.lowerBound] ?? range.lowerBound
        let upper = offsets?[range.upperBound] ?? range.upperBound
        return String(decoding: utf8[lower..<upper], as: UTF8.self)
    }

    /// `str.strip()` of the range, as bounds.
    func stripped(_ range: Range<Int>) -> Range<Int> {
        PythonText.strippedBounds(scalars[range])
    }
}

private struct RawOption {
    var key: String
    var line: Int
    /// Each physical line of the value, already stripped; "" for an empty line inside the value.
    var pieces: [(text: String, line: Int)]
}

private struct RawSection {
    var name: String
    var line: Int
    var lastLine = 0
    var levelLine = 0
    /// Exact keys (``PythonText/exactKey(_:)``) in file order.
    var order: [String] = []
    var options: [String: RawOption] = [:]
}

private struct ParseState {
    enum Target {
        case defaults
        case section(Int)
    }

    static let defaultSectionName = "DEFAULT"

    let path: String
    var source: SourceText
    var sections: [RawSection] = []
    var sectionIndex: [String: Int] = [:]
    var defaults = RawSection(name: ParseState.defaultSectionName, line: 0)
    var current: Target?
    var currentName: String?
    var currentOption: String?
    var indentLevel = 0
    var pendingEmptyLines = 0

    init(path: String, source: SourceText) {
        self.path = path
        self.source = source
    }

    mutating func consume(_ line: Range<Int>, number: Int) throws(ConfigError) {
        let value = source.stripped(line)
        if let first = value.first.map({ source.scalars[$0] }), first == "#" || first == ";" {
            return
        }
        if value.isEmpty {
            // An empty line belongs to the value being read, but only counts if a continuation line follows:
            // configparser drops trailing empty lines when it joins a value.
            if current != nil, currentOption != nil { pendingEmptyLines += 1 }
            return
        }
        let indent = value.lowerBound - line.lowerBound
        if current != nil, let option = currentOption, indent > indentLevel {
            for _ in 0..<pendingEmptyLines { appendPiece("", line: number, to: option) }
            pendingEmptyLines = 0
            appendPiece(source.string(value), line: number, to: option)
            modifyCurrent { $0.lastLine = number }
            return
        }
        pendingEmptyLines = 0
        indentLevel = indent
        let location = FileLocation(path: path, line: number)
        if let header = sectionHeader(value) {
            try openSection(header, location: location)
        } else if current == nil {
            throw .lineBeforeSection(location)
        } else {
            try addOption(value, location: location)
        }
        modifyCurrent { section in
            section.lastLine = number
            section.levelLine = number
        }
    }

    /// `\[(?P<header>.+)\]` matched at the start: everything up to the last `]`, at least one character.
    func sectionHeader(_ value: Range<Int>) -> String? {
        let scalars = source.scalars[value]
        guard scalars.first == "[", let close = scalars.lastIndex(of: "]"), close - value.lowerBound >= 2 else {
            return nil
        }
        return source.string((value.lowerBound + 1)..<close)
    }

    mutating func openSection(_ name: String, location: FileLocation) throws(ConfigError) {
        let key = PythonText.exactKey(name)
        if sectionIndex[key] != nil {
            throw .duplicateSection(location, section: name)
        }
        if PythonText.same(name, Self.defaultSectionName) {
            // configparser lets [DEFAULT] appear more than once; its keys still may not repeat.
            current = .defaults
        } else {
            sections.append(RawSection(name: name, line: location.line))
            sectionIndex[key] = sections.count - 1
            current = .section(sections.count - 1)
        }
        currentName = name
        currentOption = nil
    }

    mutating func addOption(_ value: Range<Int>, location: FileLocation) throws(ConfigError) {
        // The first '=' or ':' splits the line, so ':' in an ARN after '=' stays in the value.
        guard let delimiter = source.scalars[value].firstIndex(where: { $0 == "=" || $0 == ":" }) else {
            throw .missingDelimiter(location)
        }
        guard delimiter > value.lowerBound else { throw .emptyKey(location) }
        let key = PythonText.lower(source.string(source.stripped(value.lowerBound..<delimiter)))
        let text = source.string(source.stripped((delimiter + 1)..<value.upperBound))
        let exactKey = PythonText.exactKey(key)
        guard let sectionName = currentName else { return }
        // Section names are unique, except [DEFAULT], whose blocks all land in one RawSection: so a key already in
        // the current section is a key repeated in the same section, as configparser counts it.
        var repeated = false
        modifyCurrent { section in repeated = section.options[exactKey] != nil }
        if repeated { throw .duplicateKey(location, section: sectionName, key: key) }
        let option = RawOption(key: key, line: location.line, pieces: [(text, location.line)])
        modifyCurrent { section in
            section.order.append(exactKey)
            section.options[exactKey] = option
        }
        currentOption = exactKey
    }

    mutating func appendPiece(_ text: String, line: Int, to option: String) {
        modifyCurrent { section in
            section.options[option]?.pieces.append((text, line))
        }
    }

    mutating func modifyCurrent(_ change: (inout RawSection) -> Void) {
        switch current {
        case .defaults: change(&defaults)
        case .section(let index): change(&sections[index])
        case nil: break
        }
    }

    func finish() throws(ConfigError) -> INIDocument {
        var defaultEntries: [INIDocument.Entry] = []
        for key in defaults.order {
            defaultEntries.append(try entry(defaults.options[key]!))
        }
        var result: [INIDocument.Section] = []
        for section in sections {
            var entries: [INIDocument.Entry] = []
            for key in section.order {
                entries.append(try entry(section.options[key]!))
            }
            let own = Set(section.order)
            entries += defaultEntries.filter { !own.contains(PythonText.exactKey($0.key)) }
            result.append(
                INIDocument.Section(
                    name: section.name, line: section.line, entries: entries, lastLine: section.lastLine,
                    levelLine: section.levelLine))
        }
        return INIDocument(sections: result)
    }

    /// Joins the lines of a value as configparser does, then splits a value that starts with a line break into
    /// a sub-section as botocore's `_parse_nested` does (only `=` separates there, and later keys win).
    func entry(_ option: RawOption) throws(ConfigError) -> INIDocument.Entry {
        // Each piece is already stripped, so a one-line value (nearly all of them) is its own join.
        let joined =
            option.pieces.count == 1
            ? option.pieces[0].text
            : PythonText.rstrip(option.pieces.map(\.text).joined(separator: "\n").unicodeScalars)
        guard joined.unicodeScalars.first == "\n" else {
            return INIDocument.Entry(key: option.key, value: .plain(joined), line: option.line)
        }
        var nested: [String: String] = [:]
        for piece in option.pieces {
            for subline in PythonText.splitLines(piece.text) {
                let scalars = Array(PythonText.strip(subline.unicodeScalars).unicodeScalars)
                if scalars.isEmpty { continue }
                guard let equals = scalars.firstIndex(of: "=") else {
                    throw .nestedLineWithoutEquals(FileLocation(path: path, line: piece.line), key: option.key)
                }
                nested[PythonText.strip(scalars[..<equals])] = PythonText.strip(scalars[(equals + 1)...])
            }
        }
        return INIDocument.Entry(key: option.key, value: .nested(nested), line: option.line)
    }
}
