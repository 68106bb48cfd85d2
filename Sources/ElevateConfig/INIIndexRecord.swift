#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// Where the indexes of large config files are kept from one run to the next, so that a run finds its sections
/// without scanning megabytes again while the file has not changed (``INIIndexRecord``). The cache directory keeps
/// them; a store that fails only makes the next run scan again.
public protocol ConfigIndexStore: Sendable {
    /// The bytes kept under `name`, if there are any and they are at most `limit` bytes.
    func load(_ name: String, limit: Int) -> [UInt8]?
    /// Keeps `bytes` under `name`, replacing what was there whole or not at all.
    func store(_ name: String, _ bytes: [UInt8])
    /// Removes what is kept under `name`.
    func remove(_ name: String)
}

extension INIIndex {
    /// The index of `contents`, opened from `path`: the one `store` keeps for this very file, else a scan
    /// (``INIScanner``), which `store` then keeps. Only a large file kept open (``ConfigFileContents/chunkSize``)
    /// is worth a record: a small one scans in microseconds. `settleSeconds` is for tests.
    static func of(
        _ contents: ConfigFileContents, path: String, store: (any ConfigIndexStore)?,
        settleSeconds: Int = INIIndexRecord.settleSeconds
    ) -> (index: INIIndex, recalled: Bool)? {
        guard let store, let identity = contents.identity, let openedAfter = contents.openedAfter,
            contents.timesTellEdits, let program = INIIndexRecord.program
        else { return INIScanner.index(contents).map { ($0, false) } }
        let name = INIIndexRecord.name(forPath: path)
        let limit = INIIndexRecord.sizeLimit(fileSize: contents.count)
        if let bytes = store.load(name, limit: limit),
            var index = INIIndexRecord.decode(bytes, contents: contents, identity: identity, program: program)
        {
            index.check?.forget = { store.remove(name) }
            return (index, true)
        }
        guard let index = INIScanner.index(contents) else { return nil }
        if INIIndexRecord.isSettled(identity, before: openedAfter, seconds: settleSeconds),
            limit >= INIIndexRecord.size(of: index),
            let content = INIIndexRecord.contentFingerprints(contents, index)
        {
            store.store(name, INIIndexRecord.encode(index, content: content, identity: identity, program: program))
        }
        return (index, false)
    }
}

/// An ``INIIndex`` as bytes, with what it is valid for: the file's identity (device, inode, size, modification
/// and change times) and the identity of the program that scanned it. A record is used only when both are the
/// current ones, so an edit, a replacement of the file or a new aws-elevate makes the next run scan again.
///
/// Three rules keep a record from outliving the bytes it describes. A file's times have a granularity (a clock tick,
/// two seconds on FAT), so a write soon after a scan could leave them as they were: a record is made only when
/// the file's times are ``settleSeconds`` older than the clock before the file was opened (the rule git applies to
/// its "racily clean" entries), and only on local file systems whose change time no program can set
/// (``ConfigFileContents/timesTellEdits``). A record keeps a fingerprint of each block's bytes: a block read
/// through it that differs (a damaged record, or a file system that kept the times through an edit) is not used,
/// the record is removed and the run reads the files again (``ConfigError/staleIndex(path:)``). And a record is
/// read with the checks a hostile file gets: its length must match its counts exactly, every block must lie inside
/// the file, in file order, its header inside it; anything else is no record. Records live in the private cache
/// directory.
///
/// Layout, little-endian: `AEIX`, the version (UInt32), the program's and the file's identity (device, inode,
/// size, modification and change times as seconds and nanoseconds: 7 × 64 bits each), the counts of sections,
/// `[DEFAULT]` blocks and irregular sections (3 × UInt32), then the section blocks (5 × Int32: start, end, name
/// start, name end, header line), their header fingerprints and their content fingerprints (2 × UInt64 each), the
/// `[DEFAULT]` blocks with their content fingerprints, and the irregular section numbers (Int32).
enum INIIndexRecord {
    static let magic = Array("AEIX".utf8)
    static let version: UInt32 = 1
    static let settleSeconds = 2
    static let headerSize = 4 + 4 + 2 * 56 + 3 * 4
    static let blockSize = 5 * 4

    /// `config-index-<16 hex digits>`: one record per path (a hash of its bytes, made absolute with the working
    /// directory), replaced when the file changes.
    static func name(forPath path: String) -> String {
        var path = path
        if path.utf8.first != UInt8(ascii: "/"), let directory = getcwd(nil, 0) {
            path = String(cString: directory) + "/" + path
            free(directory)
        }
        let fingerprint = path.withUTF8 { Fingerprint.of($0) }
        let hex = String(fingerprint, radix: 16)
        return "config-index-" + String(repeating: "0", count: 16 - hex.utf8.count) + hex
    }

    /// A record may be at most as large as the file: a file of tiny sections (whose record would outgrow it) is
    /// scanned every time instead.
    static func sizeLimit(fileSize: Int) -> Int { headerSize + fileSize }

    /// The identity of the running executable (`/proc/self/exe`); `nil` when it cannot be known, and then no
    /// record is used or made.
    static let program: FileIdentity? = {
        var info = stat()
        guard stat("/proc/self/exe", &info) == 0 else { return nil }
        return FileIdentity(info)
    }()

    /// Whether the file's times lie `seconds` before `clock`.
    static func isSettled(_ identity: FileIdentity, before clock: timespec, seconds: Int) -> Bool {
        let limit = clock.tv_sec - seconds
        return identity.modified.0 < limit && identity.changed.0 < limit
    }

    /// The size of the record of `index`.
    static func size(of index: INIIndex) -> Int {
        size(sections: index.sections.count, defaults: index.defaults.count, irregular: index.irregular.count)
    }

    private static func size(sections: Int, defaults: Int, irregular: Int) -> Int {
        headerSize + sections * (blockSize + 16) + defaults * (blockSize + 8) + irregular * 4
    }

    static func encode(
        _ index: INIIndex, content: BlockContents, identity: FileIdentity, program: FileIdentity
    ) -> [UInt8] {
        var bytes = magic
        bytes.reserveCapacity(size(of: index))
        append(version, to: &bytes)
        for identity in [program, identity] {
            for field in fields(identity) { append(field, to: &bytes) }
        }
        for count in [index.sections.count, index.defaults.count, index.irregular.count] {
            append(UInt32(count), to: &bytes)
        }
        for block in index.sections { append(block, to: &bytes) }
        for fingerprint in index.fingerprints + content.sections { append(fingerprint, to: &bytes) }
        for block in index.defaults { append(block, to: &bytes) }
        for fingerprint in content.defaults { append(fingerprint, to: &bytes) }
        for section in index.irregular { append(UInt32(section), to: &bytes) }
        return bytes
    }

    /// The fingerprints (``Fingerprint/Stream``) of each block's bytes, in the order of the index's lists.
    struct BlockContents: Equatable {
        var sections: [UInt64]
        var defaults: [UInt64]
    }

    /// The ``BlockContents`` of `index`, read from `contents` in one pass; `nil` when the file cannot be read as it
    /// was scanned.
    static func contentFingerprints(_ contents: ConfigFileContents, _ index: INIIndex) -> BlockContents? {
        // Every block in file order: sections and `[DEFAULT]` blocks are each in file order, and never overlap.
        var order: [(bytes: Range<Int>, isDefault: Bool, position: Int)] = []
        order.reserveCapacity(index.sections.count + index.defaults.count)
        var section = 0
        var defaults = 0
        while section < index.sections.count || defaults < index.defaults.count {
            if defaults < index.defaults.count,
                section == index.sections.count
                    || index.defaults[defaults].bytes.lowerBound < index.sections[section].bytes.lowerBound
            {
                order.append((index.defaults[defaults].bytes, true, defaults))
                defaults += 1
            } else {
                order.append((index.sections[section].bytes, false, section))
                section += 1
            }
        }
        var result = BlockContents(
            sections: Array(repeating: 0, count: index.sections.count),
            defaults: Array(repeating: 0, count: index.defaults.count))
        var next = 0
        var stream = Fingerprint.Stream()
        let complete = contents.forEachRun { run, offset, line in
            let runEnd = offset + run.count
            while next < order.count {
                let block = order[next]
                let from = max(block.bytes.lowerBound, offset)
                let to = min(block.bytes.upperBound, runEnd)
                if from < to { stream.append(UnsafeBufferPointer(rebasing: run[(from - offset)..<(to - offset)])) }
                if block.bytes.upperBound > runEnd { break }
                if block.isDefault {
                    result.defaults[block.position] = stream.finish()
                } else {
                    result.sections[block.position] = stream.finish()
                }
                stream = Fingerprint.Stream()
                next += 1
            }
            return line  // Line numbers are not needed here.
        }
        return complete && next == order.count ? result : nil
    }

    /// The index in `bytes` if it was made by `program` for the file of `identity` whose contents are `contents`,
    /// and holds together; else `nil`.
    static func decode(
        _ bytes: [UInt8], contents: ConfigFileContents, identity: FileIdentity, program: FileIdentity
    ) -> INIIndex? {
        guard bytes.count >= headerSize else { return nil }
        return bytes.withUnsafeBytes { raw -> INIIndex? in
            var reader = Reader(raw: raw)
            guard reader.bytes(magic.count).elementsEqual(magic), reader.uint32() == version else { return nil }
            for expected in [program, identity] {
                for field in fields(expected) where reader.uint64() != field { return nil }
            }
            let sections = Int(reader.uint32()), defaults = Int(reader.uint32()), irregular = Int(reader.uint32())
            guard bytes.count == size(sections: sections, defaults: defaults, irregular: irregular) else { return nil }
            var index = INIIndex(contents: contents)
            guard let sectionBlocks = reader.blocks(sections, fileSize: contents.count) else { return nil }
            index.sections = sectionBlocks
            index.fingerprints = (0..<sections).map { _ in reader.uint64() }
            let sectionContents = (0..<sections).map { _ in reader.uint64() }
            guard let defaultBlocks = reader.blocks(defaults, fileSize: contents.count),
                Self.apart(defaultBlocks, from: sectionBlocks)
            else { return nil }
            index.defaults = defaultBlocks
            let defaultContents = (0..<defaults).map { _ in reader.uint64() }
            index.irregular = (0..<irregular).map { _ in Int(reader.uint32()) }
            guard zip(index.irregular, index.irregular.dropFirst()).allSatisfy({ $0 < $1 }),
                index.irregular.allSatisfy({ $0 < sections })
            else { return nil }
            index.check = RecordCheck(BlockContents(sections: sectionContents, defaults: defaultContents))
            return index
        }
    }

    /// Whether no block of `defaults` (few) overlaps one of `sections` (both in file order).
    private static func apart(_ defaults: [INIIndex.Block], from sections: [INIIndex.Block]) -> Bool {
        defaults.allSatisfy { block in
            // The first section that ends after the block starts must start at or after its end.
            var low = 0
            var high = sections.count
            while low < high {
                let middle = (low + high) / 2
                if sections[middle].bytes.upperBound <= block.bytes.lowerBound { low = middle + 1 } else { high = middle }
            }
            return low == sections.count || sections[low].bytes.lowerBound >= block.bytes.upperBound
        }
    }

    private static func fields(_ identity: FileIdentity) -> [UInt64] {
        [
            identity.device, identity.inode, UInt64(bitPattern: identity.size),
            UInt64(bitPattern: Int64(identity.modified.0)), UInt64(bitPattern: Int64(identity.modified.1)),
            UInt64(bitPattern: Int64(identity.changed.0)), UInt64(bitPattern: Int64(identity.changed.1)),
        ]
    }

    private static func append(_ block: INIIndex.Block, to bytes: inout [UInt8]) {
        for field in [block.bytes.lowerBound, block.bytes.upperBound, block.name.lowerBound, block.name.upperBound,
            block.line]
        {
            append(UInt32(truncatingIfNeeded: field), to: &bytes)
        }
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Reads fields in order; the caller checked the length first.
    private struct Reader {
        let raw: UnsafeRawBufferPointer
        var offset = 0

        mutating func bytes(_ count: Int) -> UnsafeRawBufferPointer {
            defer { offset += count }
            return UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + count)])
        }

        mutating func uint32() -> UInt32 {
            defer { offset += 4 }
            return UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }

        mutating func uint64() -> UInt64 {
            defer { offset += 8 }
            return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }

        /// `count` blocks, each a header line inside a file of `fileSize` bytes, in file order without overlap;
        /// `nil` when they are not.
        mutating func blocks(_ count: Int, fileSize: Int) -> [INIIndex.Block]? {
            var blocks: [INIIndex.Block] = []
            blocks.reserveCapacity(count)
            var previousEnd = 0
            var previousLine = 0
            for _ in 0..<count {
                let start = Int(Int32(bitPattern: uint32())), end = Int(Int32(bitPattern: uint32()))
                let nameStart = Int(Int32(bitPattern: uint32())), nameEnd = Int(Int32(bitPattern: uint32()))
                let line = Int(Int32(bitPattern: uint32()))
                // `[` before the name and `]` after it lie inside the block.
                guard previousEnd <= start, start < nameStart, nameStart < nameEnd, nameEnd < end, end <= fileSize,
                    previousLine < line
                else { return nil }
                blocks.append(INIIndex.Block(name: nameStart..<nameEnd, bytes: start..<end, line: line))
                previousEnd = end
                previousLine = line
            }
            return blocks
        }
    }
}

/// The check of an index read from a record: each block read through it must have the bytes the record was made
/// from. The first block that does not marks the record stale and removes it; the run then reads the files again.
final class RecordCheck: Sendable {
    let contents: INIIndexRecord.BlockContents
    private let state = Mutex<(failed: Bool, forget: (@Sendable () -> Void)?)>((false, nil))

    init(_ contents: INIIndexRecord.BlockContents) {
        self.contents = contents
    }

    /// What removes the record (set by whoever read it).
    var forget: (@Sendable () -> Void)? {
        get { state.withLock { $0.forget } }
        set { state.withLock { $0.forget = newValue } }
    }

    /// Whether a block read through the record differed from the one it was made from.
    var failed: Bool { state.withLock { $0.failed } }

    /// Whether `bytes`, read for section `position` (or `[DEFAULT]` block `position`), are the ones the record was
    /// made from; the first mismatch removes the record.
    func matches(_ bytes: [UInt8], section position: Int, isDefault: Bool = false) -> Bool {
        if bytes.withUnsafeBufferPointer({ Fingerprint.ofContent($0) }) == expected(position, isDefault) { return true }
        fail()
        return false
    }

    /// Whether every block of `index` is in `all`, the whole file, as the record was made from it.
    func matchesAll(_ all: [UInt8], _ index: INIIndex) -> Bool {
        for (blocks, isDefault) in [(index.sections, false), (index.defaults, true)] {
            for (position, block) in blocks.enumerated() {
                let fingerprint = all.withUnsafeBufferPointer { all in
                    block.bytes.upperBound <= all.count
                        ? Fingerprint.ofContent(UnsafeBufferPointer(rebasing: all[block.bytes])) : nil
                }
                if fingerprint != expected(position, isDefault) {
                    fail()
                    return false
                }
            }
        }
        return true
    }

    private func expected(_ position: Int, _ isDefault: Bool) -> UInt64 {
        isDefault ? contents.defaults[position] : contents.sections[position]
    }

    private func fail() {
        let forget = state.withLock { state -> (@Sendable () -> Void)? in
            defer { state = (true, nil) }
            return state.failed ? nil : state.forget
        }
        forget?()
    }
}
