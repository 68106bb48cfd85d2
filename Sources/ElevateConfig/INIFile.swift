import ElevateCore

/// One INI file, checked whole and ready for lookups: indexed, its sections parsed only when asked for, or, when
/// ``INIScanner`` cannot vouch for it, parsed whole by ``INIParser``. Both forms accept and reject the same files
/// and give the same sections.
struct INIFile: Sendable {
    /// The header prefixes botocore reads in the config file: `[PREFIX NAME]`, NAME split with shell quoting.
    enum Prefix: String, CaseIterable, Sendable {
        case profile
        case services
        case ssoSession = "sso-session"
    }

    private enum Storage: Sendable {
        case indexed(INIIndex)
        case parsed(INIDocument)
    }

    /// How a file was read, for `--debug`.
    enum Reading: String, Sendable {
        case indexFromCache = "sections found through the index stored for this version of the file"
        case scanned = "scanned, its sections parsed when asked for"
        case parsedWhole = "parsed whole"
    }

    let path: String
    private let storage: Storage
    let reading: Reading

    /// Checks `contents` as ``INIParser`` does and throws its error for a file it rejects. `indexing: false` parses
    /// the whole file at once, as when the scanner cannot vouch for one. `store` keeps the index of a large file
    /// for the next run (``INIIndexRecord``).
    init(
        _ contents: ConfigFileContents, path: String, indexing: Bool = true, store: (any ConfigIndexStore)? = nil
    ) throws(ConfigError) {
        self.path = path
        if indexing, let (index, recalled) = INIIndex.of(contents, path: path, store: store) {
            storage = .indexed(index)
            reading = recalled ? .indexFromCache : .scanned
        } else {
            storage = .parsed(try INIParser.parse(try contents.all(), path: path))
            reading = .parsedWhole
        }
    }

    /// ``init(_:path:indexing:)`` for bytes in memory.
    init(_ bytes: [UInt8], path: String, indexing: Bool = true) throws(ConfigError) {
        try self.init(ConfigFileContents(bytes), path: path, indexing: indexing)
    }

    /// This file ready for many lookups (a listing, `doctor`): read whole into memory, its sections found through a
    /// table instead of a scan of every header's fingerprint.
    func forManyLookups() throws(ConfigError) -> INIFile {
        guard case .indexed(var index) = storage else { return self }
        let all = try index.contents.all()
        if let check = index.check {
            guard check.matchesAll(all, index) else {
                // A stored index that does not match: scanned again, from the bytes in memory.
                return try INIFile(ConfigFileContents(all), path: path).forManyLookups()
            }
            index.check = nil
        }
        index.contents = ConfigFileContents(all)
        var table: [UInt64: Int] = [:]
        table.reserveCapacity(index.fingerprints.count)
        for (position, fingerprint) in index.fingerprints.enumerated() { table[fingerprint] = position }
        index.byFingerprint = table
        return INIFile(path: path, storage: .indexed(index), reading: reading)
    }

    private init(path: String, storage: Storage, reading: Reading) {
        self.path = path
        self.storage = storage
        self.reading = reading
    }

    /// Throws when the file was kept open and has changed since: sections read from it may not be the ones that
    /// were checked.
    func checkUnchanged() throws(ConfigError) {
        guard case .indexed(let index) = storage else { return }
        try index.contents.checkUnchanged()
        if index.check?.failed == true { throw .staleIndex(path: path) }
    }

    /// The whole file of an indexed one; `nil` when it cannot be read as it was scanned, or does not match the
    /// stored index it was read through.
    private func whole(_ index: INIIndex) -> [UInt8]? {
        guard let all = try? index.contents.all() else { return nil }
        if let check = index.check, !check.matchesAll(all, index) { return nil }
        return all
    }

    /// Whether the file was indexed rather than parsed whole (for tests and `--debug`).
    var isIndexed: Bool {
        if case .indexed = storage { return true }
        return false
    }

    /// Every section name in file order (`[DEFAULT]` left out).
    var sectionNames: [String] {
        switch storage {
        case .indexed(let index):
            let all = whole(index) ?? []
            return index.sections.map { all.count >= $0.name.upperBound ? String(decoding: all[$0.name], as: UTF8.self) : "" }
        case .parsed(let document): return document.sections.map(\.name)
        }
    }

    /// The section whose header is exactly `name`, with the `[DEFAULT]` keys it inherits.
    func section(named name: String) -> INIDocument.Section? {
        switch storage {
        case .indexed(let index):
            return index.candidate(named: name).flatMap { parse(index, $0, named: name) }
        case .parsed(let document):
            return document.sections.last { PythonText.same($0.name, name) }
        }
    }

    /// The last section `[PREFIX NAME]` as botocore reads such headers (the header starts with the prefix and splits
    /// with shell quoting into two words, the second being `name`); for ``Prefix/profile`` and `default`, also
    /// `[default]`. A later section replaces an earlier one, as in botocore's dictionaries.
    func lastSection(_ prefix: Prefix, named name: String) -> INIDocument.Section? {
        let alsoDefault = prefix == .profile && PythonText.same(name, "default")
        switch storage {
        case .indexed(let index):
            var candidates: [(Int, String)] = []
            if name.utf8.allSatisfy(Self.isPlainNameByte), !name.isEmpty {
                let header = "\(prefix.rawValue) \(name)"
                if let found = index.candidate(named: header) { candidates.append((found, header)) }
            }
            if alsoDefault, let found = index.candidate(named: "default") { candidates.append((found, "default")) }
            for candidate in index.irregular.reversed() {
                if let last = candidates.map(\.0).max(), last > candidate { break }
                if let header = index.name(candidate),
                    Self.name(of: header, prefix: prefix).map({ PythonText.same($0, name) }) == true
                {
                    candidates.append((candidate, header))
                    break
                }
            }
            // Later sections replace earlier ones: the last candidate that really has its header.
            for (position, header) in candidates.sorted(by: { $0.0 > $1.0 }) {
                if let section = parse(index, position, named: header) { return section }
            }
            return nil
        case .parsed(let document):
            return document.sections.last { section in
                if alsoDefault, PythonText.same(section.name, "default") { return true }
                return Self.name(of: section.name, prefix: prefix).map { PythonText.same($0, name) } ?? false
            }
        }
    }

    /// Every NAME of a `[PREFIX NAME]` header (and `default` for profiles), in file order, repeats included.
    func names(_ prefix: Prefix) -> [String] {
        switch storage {
        case .indexed(let index):
            let irregular = Set(index.irregular)
            let word = Array("\(prefix.rawValue) ".utf8)
            // One read of the whole file: a read per section would cost a system call each.
            guard let all = whole(index) else { return [] }
            return index.sections.indices.compactMap { position in
                let header = all[index.sections[position].name]
                if irregular.contains(position) {
                    return Self.name(of: String(decoding: header, as: UTF8.self), prefix: prefix)
                }
                if prefix == .profile, header.elementsEqual("default".utf8) { return "default" }
                guard header.starts(with: word) else { return nil }
                return String(decoding: header.dropFirst(word.count), as: UTF8.self)
            }
        case .parsed(let document):
            return document.sections.compactMap { section in
                if prefix == .profile, PythonText.same(section.name, "default") { return "default" }
                return Self.name(of: section.name, prefix: prefix)
            }
        }
    }

    /// NAME of a header `PREFIX NAME` as botocore's `_parse_section` reads it: the header only has to start with
    /// the prefix (so `[profiles x]` names `x` too), and must split with shell quoting into exactly two words.
    static func name(of header: String, prefix: Prefix) -> String? {
        guard PythonText.hasPrefix(header, prefix.rawValue), let words = shellWords(header), words.count == 2 else {
            return nil
        }
        return words[1]
    }

    /// A byte that shell quoting leaves as it is and that does not end a word.
    static func isPlainNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x20, 0x09, 0x0D, 0x0A, UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "\\"): false
        default: true
        }
    }

    /// Section `position` of an indexed file, parsed from its block and the `[DEFAULT]` blocks, if its header is
    /// `header` (the table finds sections by hash). The scanner vouched for the whole file, so the parse succeeds
    /// (the fuzz targets check that both forms agree); `nil` when the file can no longer be read as it was scanned
    /// (``checkUnchanged()`` then says so).
    private func parse(_ index: INIIndex, _ position: Int, named header: String) -> INIDocument.Section? {
        var blocks: [(bytes: [UInt8], line: Int)] = []
        for (number, block) in (index.defaults + [index.sections[position]]).enumerated() {
            guard let bytes = index.contents.bytes(block.bytes) else { return nil }
            let isDefault = number < index.defaults.count
            if let check = index.check,
                !check.matches(bytes, section: isDefault ? number : position, isDefault: isDefault)
            {
                return nil
            }
            blocks.append((bytes, block.line))
        }
        guard let section = try? INIParser.parse(blocks: blocks, path: path).sections.last,
            PythonText.same(section.name, header)
        else { return nil }
        return section
    }
}

/// The property the fuzz targets and tests hold the two forms of ``INIFile`` to.
package enum INIFileAgreement {
    /// `nil` when `bytes` read the same indexed and parsed whole (accepted by both with the same sections, or
    /// rejected by the whole parse); else what differs.
    package static func difference(_ bytes: [UInt8]) -> String? {
        let path = "/agreement/config"
        let whole: INIDocument
        do {
            whole = try INIParser.parse(bytes, path: path)
        } catch {
            return INIScanner.index(ConfigFileContents(bytes)) == nil ? nil : "the scanner vouched for a file the parser rejects: \(error)"
        }
        guard let indexed = try? INIFile(bytes, path: path), indexed.isIndexed else { return nil }
        return compare(indexed, whole, bytes: bytes, path: path)
    }

    /// ``difference(_:)`` for the file at `path` as a run opens it: a large file scanned in reads of
    /// ``ConfigFileContents/chunkSize`` and its sections read again from disk. An error must be the whole parse's.
    package static func difference(atPath path: String) -> String? {
        let bytes: [UInt8]
        do {
            guard let read = try readConfigFile(at: path, limit: AWSConfig.maximumFileSize) else { return "no file" }
            bytes = read
        } catch {
            return "unreadable: \(error)"
        }
        let opened: INIFile
        do {
            guard let contents = try ConfigFileContents.open(at: path, limit: AWSConfig.maximumFileSize) else {
                return "no file"
            }
            opened = try INIFile(contents, path: path)
        } catch {
            do {
                _ = try INIParser.parse(bytes, path: path)
                return "the opened file failed with \(error), the whole parse did not"
            } catch let whole {
                return "\(whole)" == "\(error)" ? nil : "errors differ: \(error) against \(whole)"
            }
        }
        guard let whole = try? INIParser.parse(bytes, path: path) else { return "the whole parse fails" }
        return compare(opened, whole, bytes: bytes, path: path)
    }

    /// `nil` when the indexed `indexed` and the whole parse `whole` of `bytes` give the same sections.
    static func compare(_ indexed: INIFile, _ whole: INIDocument, bytes: [UInt8], path: String) -> String? {
        let names = indexed.sectionNames
        guard names.count == whole.sections.count,
            zip(names, whole.sections).allSatisfy({ PythonText.same($0, $1.name) })
        else { return "section names differ" }
        // Every section of a small file; of a large one about 200 spread over it, the first and last included.
        let step = max(1, whole.sections.count / 200)
        let sampled = Set(Array(stride(from: 0, to: whole.sections.count, by: step)) + [whole.sections.count - 1])
        for (position, section) in whole.sections.enumerated() where sampled.contains(position) {
            guard let found = indexed.section(named: section.name) else { return "'\(section.name)' not found" }
            guard found == section else { return "'\(section.name)' differs" }
        }
        let parsed = try? INIFile(bytes, path: path, indexing: false)
        for prefix in INIFile.Prefix.allCases {
            let names = indexed.names(prefix)
            guard names == parsed?.names(prefix) else { return "\(prefix) names differ" }
            let step = max(1, names.count / 200)
            for (position, name) in names.enumerated()
            where (position % step == 0 || position == names.count - 1)
                && indexed.lastSection(prefix, named: name) != parsed?.lastSection(prefix, named: name)
            {
                return "\(prefix) '\(name)' differs"
            }
        }
        return nil
    }
}
