#if canImport(Glibc)
import Glibc
#endif

/// Where an INI file's sections are, found by one pass over its bytes that builds no string, for a file that
/// ``INIParser`` accepts: a run needs two or three sections of a config that may hold thousands, so only those are
/// parsed (``INIFile``). A large file is scanned through a small buffer and stays open; the sections asked for are
/// read again from it (``ConfigFileContents``), so that it never sits in memory whole.
///
/// ``INIScanner`` vouches for a file only when it is sure the full parser accepts it; on any doubt (a syntax error,
/// which the full parser then reports, text whose meaning depends on Unicode rules at a line's edge, or two
/// header or key hashes that agree) it gives no index and the caller parses the whole file.
struct INIIndex: Sendable {
    /// One section's lines: from its header's line up to the next header's line or the end of the file. Stored in
    /// 32 bits a number (files are at most 4 MiB), as a config may hold tens of thousands.
    struct Block: Sendable, Equatable {
        private var start: Int32
        private var end: Int32
        private var nameStart: Int32
        private var nameEnd: Int32
        private var headerLine: Int32

        init(name: Range<Int>, bytes: Range<Int>, line: Int) {
            start = Int32(bytes.lowerBound)
            end = Int32(bytes.upperBound)
            nameStart = Int32(name.lowerBound)
            nameEnd = Int32(name.upperBound)
            headerLine = Int32(clamping: line)
        }

        /// The header's name bytes (between `[` and the last `]`), as file offsets.
        var name: Range<Int> { Int(nameStart)..<Int(nameEnd) }
        /// The bytes of the block, starting with the header's line.
        var bytes: Range<Int> {
            get { Int(start)..<Int(end) }
            set { end = Int32(newValue.upperBound) }
        }
        /// The header's line number.
        var line: Int { Int(headerLine) }

    }

    var contents: ConfigFileContents
    /// Section index by fingerprint, for callers that look up many sections (``INIFile/forManyLookups()``).
    var byFingerprint: [UInt64: Int]?
    /// The sections in file order, `[DEFAULT]` blocks left out.
    var sections: [Block] = []
    /// The `[DEFAULT]` blocks, whose keys every section inherits.
    var defaults: [Block] = []
    /// Sections whose header is not the plain `PREFIX NAME` of a prefix botocore reads (``INIFile/Prefix``), nor
    /// `default`: looked at one by one when a prefixed name is asked for.
    var irregular: [Int] = []
    /// ``Fingerprint`` of each section's header, by section index.
    var fingerprints: [UInt64] = []
    /// For an index read from a record (``INIIndexRecord``): what each block read through it is checked against.
    var check: RecordCheck?

    /// The header name of section `index`; `nil` when the file can no longer be read as it was scanned.
    func name(_ index: Int) -> String? {
        contents.bytes(sections[index].name).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The section whose header is exactly `name`, if the table holds one of its fingerprint (the caller compares
    /// names).
    func candidate(named name: String) -> Int? {
        var name = name
        let wanted = name.withUTF8 { Fingerprint.of($0) }
        if let byFingerprint { return byFingerprint[wanted] }
        return fingerprints.lastIndex(of: wanted)
    }
}

/// A 64-bit fingerprint of a byte string, eight bytes at a time. Fingerprints that agree make the scanner give up
/// (the full parser then decides), so a crafted collision costs speed, never correctness.
enum Fingerprint {
    static func of(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        // Without lower-casing no byte makes it give up.
        hash(bytes, readable: bytes.count, lowercasingASCII: false)!
    }

    /// ``of(_:)`` of the ASCII lower-case form, or `nil` when `bytes` are not all ASCII. `readable` bytes from the
    /// start of `bytes` may be read (at least `bytes.count`): with eight past the last word, its tail is one load
    /// instead of a copy.
    static func ofASCII(_ bytes: UnsafeBufferPointer<UInt8>, readable: Int) -> UInt64? {
        hash(bytes, readable: readable, lowercasingASCII: true)
    }

    /// The fingerprint of bytes that come in parts (a section's lines across reads of a large file): the same
    /// mixing, over eight-byte words of the whole, with the length last.
    struct Stream {
        private var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        private var pending: UInt64 = 0
        private var pendingCount = 0
        private var count = 0

        mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard let base = bytes.baseAddress else { return }
            count += bytes.count
            var offset = 0
            while pendingCount > 0, offset < bytes.count {
                pending |= UInt64(base[offset]) << (8 * UInt64(pendingCount))
                pendingCount += 1
                offset += 1
                if pendingCount == 8 {
                    hash = Fingerprint.mix(hash, pending)
                    pending = 0
                    pendingCount = 0
                }
            }
            let raw = UnsafeRawPointer(base)
            while offset + 8 <= bytes.count {
                hash = Fingerprint.mix(hash, UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                offset += 8
            }
            if offset < bytes.count {
                pending = Fingerprint.tail(raw + offset, count: bytes.count - offset)
                pendingCount = bytes.count - offset
            }
        }

        func finish() -> UInt64 {
            Fingerprint.mix(pendingCount > 0 ? Fingerprint.mix(hash, pending) : hash, UInt64(count))
        }
    }

    /// ``Stream`` of `bytes` at once.
    static func ofContent(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var stream = Stream()
        stream.append(bytes)
        return stream.finish()
    }

    @inline(__always)
    static func mix(_ hash: UInt64, _ word: UInt64) -> UInt64 {
        let mixed = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
        return mixed ^ (mixed >> 29)
    }

    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>, readable: Int, lowercasingASCII: Bool) -> UInt64? {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(bytes.count)
        guard let base = bytes.baseAddress else { return hash }
        let raw = UnsafeRawPointer(base)
        var offset = 0
        while offset < bytes.count {
            var word: UInt64
            let left = bytes.count - offset
            if left >= 8 {
                word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            } else if readable - offset >= 8 {
                word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self) & ((1 << (8 * UInt64(left))) - 1)
            } else {
                word = Fingerprint.tail(raw + offset, count: left)
            }
            if lowercasingASCII {
                if word & 0x8080_8080_8080_8080 != 0 { return nil }
                word = lowercased(word)
            }
            hash = mix(hash, word)
            offset += 8
        }
        return hash
    }

    /// The last one to seven bytes of a string as a little-endian word, the rest zero.
    @inline(__always) static func tail(_ pointer: UnsafeRawPointer, count: Int) -> UInt64 {
        var word: UInt64 = 0
        withUnsafeMutableBytes(of: &word) { _ = memcpy($0.baseAddress!, pointer, count) }
        return UInt64(littleEndian: word)
    }

    /// ASCII `A`–`Z` of eight bytes at once made lower case; other bytes (bytes at or above 0x80 included) kept.
    static func lowercased(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let low = word & (0x7F &* ones)
        let aboveA = low &+ ((0x80 - 0x41) &* ones)
        let aboveZ = low &+ ((0x80 - 0x5B) &* ones)
        let upper = aboveA & ~aboveZ & ~word & (0x80 &* ones)
        return word | (upper >> 2)
    }
}

/// Finds two equal fingerprints among many without a table: a bit per fingerprint in a small bit set (its
/// position from a per-process random multiplier, so no file can aim at one bit) marks the positions hit twice,
/// and only the fingerprints at those positions are sorted and compared at the end. Sequential memory and a cache-
/// sized bit set instead of a hash table's random access over hundreds of kilobytes.
struct RepeatFinder {
    private var seen: [UInt64]
    private var twice: [UInt64]
    private var shift: UInt64
    private var suspected = false
    private let multiplier: UInt64 = {
        var hasher = Hasher()
        hasher.combine(0x5EED as UInt64)
        return UInt64(bitPattern: Int64(hasher.finalize())) | 1
    }()

    /// A finder for about `expected` fingerprints: eight bits each.
    init(expected: Int) {
        var bits: UInt64 = 9
        while (1 << bits) < expected * 8, bits < 22 { bits += 1 }
        seen = Array(repeating: 0, count: 1 << (bits - 6))
        twice = seen
        shift = 64 - bits
    }

    private func position(_ fingerprint: UInt64) -> Int { Int(truncatingIfNeeded: (fingerprint &* multiplier) >> shift) }

    mutating func add(_ fingerprint: UInt64) {
        let bit = position(fingerprint)
        let mask: UInt64 = 1 << UInt64(bit & 63)
        if seen[bit >> 6] & mask != 0 {
            twice[bit >> 6] |= mask
            suspected = true
        } else {
            seen[bit >> 6] |= mask
        }
    }

    /// Whether two of `fingerprints` (every one added, in any order) are equal.
    func hasRepeat(in fingerprints: [UInt64]) -> Bool {
        guard suspected else { return false }
        var suspects = fingerprints.filter { twice[position($0) >> 6] & (1 << UInt64(position($0) & 63)) != 0 }
        suspects.sort()
        return zip(suspects, suspects.dropFirst()).contains { $0 == $1 }
    }
}

/// The byte-level pass behind ``INIIndex``: configparser's rules as ``INIParser`` implements them, on bytes, one
/// line at a time.
enum INIScanner {
    /// The index of `contents`, or `nil` when the full parser must read the file: it may be invalid, or a line
    /// starts with a character outside ASCII (which Python may count as white space), or a sub-section line holds a
    /// character that Python may count as a line break.
    static func index(_ contents: ConfigFileContents) -> INIIndex? {
        // Generated configs run about 100 bytes a profile: sized for that, nothing grows on the way.
        let expected = contents.count / 100
        var scan = Scan(expectedSections: expected)
        guard contents.forEachRun({ run, offset, firstLine in scan.lines(run, offset: offset, firstLine: firstLine) })
        else { return nil }
        scan.closeBlock(at: contents.count)
        return finish(contents, scan)
    }

    private static func finish(_ contents: ConfigFileContents, _ scan: Scan) -> INIIndex? {
        guard !scan.repeats.hasRepeat(in: scan.fingerprints) else { return nil }
        var index = INIIndex(contents: contents)
        index.sections = scan.sections
        index.defaults = scan.defaults
        index.irregular = scan.irregular
        index.fingerprints = scan.fingerprints
        return index
    }

    /// The index of the first `a` or `b` in `bytes` from `start`, or `bytes.count`: eight bytes at a time, since
    /// the lines and keys searched are a few dozen bytes, shorter than a library call pays off for.
    @inline(__always)
    static func firstIndex(of a: UInt8, or b: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = bytes.baseAddress else { return bytes.count }
        let raw = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        var index = start
        while index + 8 <= bytes.count {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let x = word ^ (UInt64(a) &* ones)
            let y = word ^ (UInt64(b) &* ones)
            // A zero byte of x or y is a match; the lowest flagged byte is the first match (borrows only run upward).
            let found = ((x &- ones) & ~x & high) | ((y &- ones) & ~y & high)
            if found != 0 { return index + found.trailingZeroBitCount / 8 }
            index += 8
        }
        while index < bytes.count, bytes[index] != a, bytes[index] != b { index += 1 }
        return index
    }

    /// `str.isspace()` for the ASCII range.
    @inline(__always) static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte) || (0x1C...0x1F).contains(byte)
    }

    private struct Scan {
        var sections: [INIIndex.Block] = []
        var defaults: [INIIndex.Block] = []
        var irregular: [Int] = []
        var fingerprints: [UInt64] = []
        var repeats: RepeatFinder
        /// The block being read: an index into `sections`, or into `defaults` when `inDefaults`.
        var current: Int?
        var inDefaults = false
        var keys = KeySet()
        var defaultKeys = KeySet()
        var hasOption = false
        /// The current option's first line has an empty value: its continuation lines are a sub-section, each
        /// of which needs an `=`.
        var nested = false
        var indentLevel = 0

        init(expectedSections: Int) {
            sections.reserveCapacity(expectedSections)
            fingerprints.reserveCapacity(expectedSections)
            repeats = RepeatFinder(expected: expectedSections)
        }

        /// Scans `run`, whole lines with their ends (Python's universal newlines), the first of them line
        /// `firstLine`, found at file offset `offset`. Returns the number of the next line, or `nil` to give up.
        mutating func lines(_ run: UnsafeBufferPointer<UInt8>, offset: Int, firstLine: Int) -> Int? {
            guard let base = run.baseAddress else { return firstLine }
            guard INIScanner.isValidUTF8(run) else { return nil }
            let count = run.count
            let hasCR = memchr(base, 0x0D, count) != nil
            var start = 0
            var number = firstLine
            while start < count {
                let newline = INIScanner.firstIndex(of: 0x0A, or: 0x0A, in: run, from: start)
                var end = newline
                var next = newline + 1
                if hasCR, let cr = memchr(base + start, 0x0D, newline - start) {
                    end = distance(base, cr)
                    next = end + 1 < count && run[end + 1] == 0x0A ? end + 2 : end + 1
                }
                guard line(UnsafeBufferPointer(rebasing: run[start..<end]), offset: offset + start, number: number)
                else { return nil }
                number += 1
                start = next
            }
            return number
        }

        func distance(_ base: UnsafePointer<UInt8>, _ pointer: UnsafeMutableRawPointer) -> Int {
            UnsafeRawPointer(pointer) - UnsafeRawPointer(base)
        }

        mutating func line(_ line: UnsafeBufferPointer<UInt8>, offset: Int, number: Int) -> Bool {
            let end = line.count
            var first = 0
            while first < end, INIScanner.isSpace(line[first]) { first += 1 }
            if first == end { return true }
            let byte = line[first]
            if byte >= 0x80 { return false }
            if byte == UInt8(ascii: "#") || byte == UInt8(ascii: ";") { return true }
            let indent = first
            if current != nil, hasOption, indent > indentLevel {
                return !nested || Self.subsectionLine(line, from: first)
            }
            indentLevel = indent
            if byte == UInt8(ascii: "["), let close = Self.lastIndex(of: UInt8(ascii: "]"), in: line, from: first),
                close - first >= 2
            {
                return open(UnsafeBufferPointer(rebasing: line[(first + 1)..<close]), at: offset, nameOffset: first + 1,
                    line: number)
            }
            guard current != nil else { return false }
            return option(line, from: first)
        }

        /// A continuation line of a sub-section value: botocore splits it at Python's line breaks and needs an `=`
        /// in each part.
        static func subsectionLine(_ line: UnsafeBufferPointer<UInt8>, from first: Int) -> Bool {
            var equals = false
            for byte in line[first...] {
                if byte >= 0x80 || byte == 0x0B || byte == 0x0C || (0x1C...0x1E).contains(byte) { return false }
                if byte == UInt8(ascii: "=") { equals = true }
            }
            return equals
        }

        mutating func open(_ name: UnsafeBufferPointer<UInt8>, at offset: Int, nameOffset: Int, line: Int) -> Bool {
            closeBlock(at: offset)
            hasOption = false
            let nameRange = (offset + nameOffset)..<(offset + nameOffset + name.count)
            let block = INIIndex.Block(name: nameRange, bytes: offset..<offset, line: line)
            if Self.equals(name, "DEFAULT") {
                defaults.append(block)
                current = defaults.count - 1
                inDefaults = true
                return true
            }
            sections.append(block)
            current = sections.count - 1
            inDefaults = false
            keys.reset()
            let fingerprint = Fingerprint.of(name)
            fingerprints.append(fingerprint)
            repeats.add(fingerprint)
            if !Self.isRegular(name) { irregular.append(sections.count - 1) }
            return true
        }

        mutating func closeBlock(at end: Int) {
            guard let current else { return }
            if inDefaults {
                defaults[current].bytes = defaults[current].bytes.lowerBound..<end
            } else {
                sections[current].bytes = sections[current].bytes.lowerBound..<end
            }
        }

        mutating func option(_ line: UnsafeBufferPointer<UInt8>, from first: Int) -> Bool {
            let end = line.count
            let delimiter = INIScanner.firstIndex(of: UInt8(ascii: "="), or: UInt8(ascii: ":"), in: line, from: first)
            guard delimiter < end, delimiter > first else { return false }
            var keyEnd = delimiter
            while keyEnd > first, INIScanner.isSpace(line[keyEnd - 1]) { keyEnd -= 1 }
            let key = UnsafeBufferPointer(rebasing: line[first..<keyEnd])
            let readable = end - first
            guard inDefaults ? defaultKeys.insert(key, readable: readable) : keys.insert(key, readable: readable)
            else { return false }
            var value = delimiter + 1
            while value < end, INIScanner.isSpace(line[value]) { value += 1 }
            if value == end {
                nested = true
            } else if line[value] >= 0x80 {
                let rest = String(decoding: UnsafeBufferPointer(rebasing: line[value...]), as: UTF8.self)
                nested = rest.unicodeScalars.allSatisfy(PythonText.isSpace)
            } else {
                nested = false
            }
            hasOption = true
            return true
        }

        /// Whether a header is `default`, or `PREFIX NAME` for a prefix of ``INIFile/Prefix`` with a NAME that
        /// shell quoting leaves as it is: found through the table alone.
        static func isRegular(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
            if equals(name, "default") { return true }
            let rest: Int
            if starts(name, "profile ") {
                rest = 8
            } else if starts(name, "services ") {
                rest = 9
            } else if starts(name, "sso-session ") {
                rest = 12
            } else {
                return false
            }
            guard rest < name.count else { return false }
            for index in rest..<name.count where !INIFile.isPlainNameByte(name[index]) { return false }
            return true
        }

        static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
            bytes.count == text.utf8CodeUnitCount && starts(bytes, text)
        }

        static func starts(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
            bytes.count >= text.utf8CodeUnitCount
                && memcmp(bytes.baseAddress!, text.utf8Start, text.utf8CodeUnitCount) == 0
        }

        static func lastIndex(of byte: UInt8, in line: UnsafeBufferPointer<UInt8>, from first: Int) -> Int? {
            var index = line.count
            while index > first {
                index -= 1
                if line[index] == byte { return index }
            }
            return nil
        }
    }

    /// Whether `bytes` are UTF-8, checking eight ASCII bytes at a time before falling back to the standard
    /// library's validation.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var index = 0
        let raw = UnsafeRawPointer(base)
        while index + 32 <= bytes.count {
            let any =
                raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                | raw.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self)
                | raw.loadUnaligned(fromByteOffset: index + 16, as: UInt64.self)
                | raw.loadUnaligned(fromByteOffset: index + 24, as: UInt64.self)
            if any & 0x8080_8080_8080_8080 != 0 { break }
            index += 32
        }
        while index < bytes.count, bytes[index] < 0x80 { index += 1 }
        if index == bytes.count { return true }
        return String(validating: UnsafeBufferPointer(rebasing: bytes[index...]), as: UTF8.self) != nil
    }
}

/// The fingerprints of one section's keys, lower-cased as configparser stores them, to find a repeated one (or two
/// that only share a fingerprint: the full parser then decides). Small sections (nearly all) are compared one by
/// one; a large one switches to a set, so no section costs quadratic time.
private struct KeySet {
    /// The first `count` are the section's; the array keeps its storage from section to section.
    private var fingerprints: [UInt64] = []
    private var count = 0
    private var large: Set<UInt64> = []
    private static let linearLimit = 16

    mutating func reset() {
        count = 0
        if !large.isEmpty { large.removeAll() }
    }

    /// Adds `key` (already stripped of ASCII white space), of which `readable` bytes may be read; `false` when the
    /// section has its fingerprint already.
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, readable: Int) -> Bool {
        let fingerprint: UInt64
        if let ascii = Fingerprint.ofASCII(key, readable: readable) {
            fingerprint = ascii
        } else {
            let text = String(decoding: key, as: UTF8.self)
            var lowered = PythonText.lower(PythonText.strip(text.unicodeScalars))
            fingerprint = lowered.withUTF8 { Fingerprint.of($0) }
        }
        if count < Self.linearLimit {
            for index in 0..<count where fingerprints[index] == fingerprint { return false }
        } else {
            if large.isEmpty { large = Set(fingerprints[..<count]) }
            guard large.insert(fingerprint).inserted else { return false }
        }
        if count < fingerprints.count { fingerprints[count] = fingerprint } else { fingerprints.append(fingerprint) }
        count += 1
        return true
    }
}
