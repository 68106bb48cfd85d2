/// A setting's value: plain text, or a sub-section (`s3 =` followed by indented `key = value` lines).
enum INIValue: Sendable, Equatable {
    case plain(String)
    /// Sub-section keys keep their case, as botocore leaves them.
    case nested([String: String])
}

/// A parsed INI file: its sections in file order, each with the `[DEFAULT]` keys it inherits.
struct INIDocument: Sendable {
    struct Entry: Sendable {
        var key: String
        var value: INIValue
        var line: Int
    }

    struct Section: Sendable {
        var name: String
        var line: Int
        var entries: [Entry]
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
        let scalars = Array(text.unicodeScalars)
        var state = ParseState(path: path)
        var number = 0
        var start = 0
        var index = 0
        // Universal newlines, as Python reads text files: \n, \r\n and a lone \r each end a line.
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\n" || scalar == "\r" {
                number += 1
                try state.consume(scalars[start..<index], number: number)
                if scalar == "\r", index + 1 < scalars.count, scalars[index + 1] == "\n" { index += 1 }
                start = index + 1
            }
            index += 1
        }
        if start < scalars.count {
            try state.consume(scalars[start...], number: number + 1)
        }
        return try state.finish()
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

private struct RawOption {
    var key: String
    var line: Int
    /// Each physical line of the value, already stripped; "" for an empty line inside the value.
    var pieces: [(text: String, line: Int)]
}

private struct RawSection {
    var name: String
    var line: Int
    var order: [ExactString] = []
    var options: [ExactString: RawOption] = [:]
}

private struct SectionKey: Hashable {
    var section: ExactString
    var key: ExactString
}

private struct ParseState {
    enum Target {
        case defaults
        case section(Int)
    }

    static let defaultSectionName = "DEFAULT"

    let path: String
    var sections: [RawSection] = []
    var sectionIndex: [ExactString: Int] = [:]
    var defaults = RawSection(name: ParseState.defaultSectionName, line: 0)
    var current: Target?
    var currentName: ExactString?
    var currentOption: ExactString?
    var indentLevel = 0
    var pendingEmptyLines = 0
    var addedKeys: Set<SectionKey> = []

    init(path: String) { self.path = path }

    mutating func consume(_ line: ArraySlice<Unicode.Scalar>, number: Int) throws(ConfigError) {
        let value = line[PythonText.strippedBounds(line)]
        if let first = value.first, first == "#" || first == ";" {
            return
        }
        if value.isEmpty {
            // An empty line belongs to the value being read, but only counts if a continuation line follows:
            // configparser drops trailing empty lines when it joins a value.
            if current != nil, currentOption != nil { pendingEmptyLines += 1 }
            return
        }
        let indent = value.startIndex - line.startIndex
        if current != nil, let option = currentOption, indent > indentLevel {
            for _ in 0..<pendingEmptyLines { appendPiece("", line: number, to: option) }
            pendingEmptyLines = 0
            appendPiece(String(String.UnicodeScalarView(value)), line: number, to: option)
            return
        }
        pendingEmptyLines = 0
        indentLevel = indent
        let location = FileLocation(path: path, line: number)
        if let header = Self.sectionHeader(value) {
            try openSection(header, location: location)
        } else if current == nil {
            throw .lineBeforeSection(location)
        } else {
            try addOption(value, location: location)
        }
    }

    /// `\[(?P<header>.+)\]` matched at the start: everything up to the last `]`, at least one character.
    static func sectionHeader(_ value: ArraySlice<Unicode.Scalar>) -> String? {
        guard value.first == "[", let close = value.lastIndex(of: "]"), close - value.startIndex >= 2 else {
            return nil
        }
        return String(String.UnicodeScalarView(value[(value.startIndex + 1)..<close]))
    }

    mutating func openSection(_ name: String, location: FileLocation) throws(ConfigError) {
        let key = ExactString(name)
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
        currentName = key
        currentOption = nil
    }

    mutating func addOption(_ value: ArraySlice<Unicode.Scalar>, location: FileLocation) throws(ConfigError) {
        // The first '=' or ':' splits the line, so ':' in an ARN after '=' stays in the value.
        guard let delimiter = value.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
            throw .missingDelimiter(location)
        }
        guard delimiter > value.startIndex else { throw .emptyKey(location) }
        let key = PythonText.lower(PythonText.rstrip(value[value.startIndex..<delimiter]))
        let text = PythonText.strip(value[(delimiter + 1)..<value.endIndex])
        let exactKey = ExactString(key)
        guard let sectionName = currentName else { return }
        guard addedKeys.insert(SectionKey(section: sectionName, key: exactKey)).inserted else {
            throw .duplicateKey(location, section: sectionName.text, key: key)
        }
        let option = RawOption(key: key, line: location.line, pieces: [(text, location.line)])
        modifyCurrent { section in
            section.order.append(exactKey)
            section.options[exactKey] = option
        }
        currentOption = exactKey
    }

    mutating func appendPiece(_ text: String, line: Int, to option: ExactString) {
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
            entries += defaultEntries.filter { !own.contains(ExactString($0.key)) }
            result.append(INIDocument.Section(name: section.name, line: section.line, entries: entries))
        }
        return INIDocument(sections: result)
    }

    /// Joins the lines of a value as configparser does, then splits a value that starts with a line break into
    /// a sub-section as botocore's `_parse_nested` does (only `=` separates there, and later keys win).
    func entry(_ option: RawOption) throws(ConfigError) -> INIDocument.Entry {
        let joined = PythonText.rstrip(option.pieces.map(\.text).joined(separator: "\n").unicodeScalars)
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
