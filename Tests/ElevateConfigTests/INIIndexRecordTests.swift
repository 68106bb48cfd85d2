#if canImport(Glibc)
import Glibc
#endif
import ElevateCore
import Foundation
import Testing
import TestSupport

@testable import ElevateConfig

/// A store in memory that counts what it is asked.
final class MemoryIndexStore: ConfigIndexStore, @unchecked Sendable {
    private let lock = NSLock()
    private var records: [String: [UInt8]] = [:]
    private(set) var stores = 0

    func load(_ name: String, limit: Int) -> [UInt8]? {
        lock.withLock { records[name].flatMap { $0.count <= limit ? $0 : nil } }
    }

    func store(_ name: String, _ bytes: [UInt8]) {
        lock.withLock {
            records[name] = bytes
            stores += 1
        }
    }

    func remove(_ name: String) {
        lock.withLock { records[name] = nil }
    }

    var names: [String] { lock.withLock { Array(records.keys) } }

    func edit(_ name: String, _ body: (inout [UInt8]) -> Void) {
        lock.withLock { body(&records[name]!) }
    }
}

/// Where a large file's sections are, kept between runs while the file stays as it was (``INIIndexRecord``).
@Suite("INI index records")
struct INIIndexRecordTests {
    static let text = INIFileOnDiskTests.filler(1500) + "[profile keys]\n# owner: Zo\u{EB}\nnote = caf\u{E9}\n"
        + INIFileOnDiskTests.filler(1500, from: 1500) + "[DEFAULT]\nregion = d\n[profile \"odd name\"]\nk = v\n"

    /// Opens `path` as a run does and indexes it through `store`; settled at once unless told otherwise.
    static func index(_ path: String, _ store: MemoryIndexStore, settle: Int = -1) throws -> INIIndex? {
        let contents = try #require(try ConfigFileContents.open(at: path, limit: AWSConfig.maximumFileSize))
        return INIIndex.of(contents, path: path, store: store, settleSeconds: settle)?.index
    }

    static func file(_ path: String, _ store: MemoryIndexStore) throws -> INIFile {
        let contents = try #require(try ConfigFileContents.open(at: path, limit: AWSConfig.maximumFileSize))
        return try INIFile(contents, path: path, store: store)
    }

    @Test("a record of an unchanged file is used instead of a scan, and reads the same as the whole parse")
    func used() throws {
        let bytes = Array(Self.text.utf8)
        let path = try temporaryFile(bytes)
        defer { unlink(path) }
        let store = MemoryIndexStore()
        let scanned = try #require(try Self.index(path, store))
        #expect(store.stores == 1)
        #expect(store.names == [INIIndexRecord.name(forPath: path)])
        let recalled = try #require(try Self.index(path, store))
        #expect(store.stores == 1, "the record was used, not made again")
        #expect(recalled.sections == scanned.sections && recalled.fingerprints == scanned.fingerprints)
        #expect(recalled.defaults == scanned.defaults && recalled.irregular == scanned.irregular)
        #expect(!recalled.irregular.isEmpty && !recalled.defaults.isEmpty)

        let whole = try INIParser.parse(bytes, path: path)
        let file = try Self.file(path, store)
        #expect(file.reading == .indexFromCache)
        #expect(INIFileAgreement.compare(file, whole, bytes: bytes, path: path) == nil)

        // A record is believed: one whose fingerprint of `profile gen5` was altered no longer finds it.
        let position = try #require(scanned.sections.indices.first { scanned.name($0) == "profile gen5" })
        store.edit(INIIndexRecord.name(forPath: path)) { record in
            let offset = INIIndexRecord.headerSize + scanned.sections.count * INIIndexRecord.blockSize + position * 8
            record[offset] ^= 1
        }
        let altered = try #require(try Self.index(path, store))
        #expect(store.stores == 1)
        #expect(altered.candidate(named: "profile gen5") == nil)
        #expect(altered.candidate(named: "profile gen6") != nil)
    }

    @Test("an edit in place, a replaced file or another program makes the record unused")
    func invalidated() throws {
        let path = try temporaryFile(Array(Self.text.utf8))
        defer { unlink(path) }
        let store = MemoryIndexStore()
        _ = try Self.index(path, store)
        #expect(store.stores == 1)

        // Same size, new bytes: the change time moves (nanoseconds on this file system).
        let fd = open(path, O_WRONLY)
        _ = "[profile GEN0]".withCString { pwrite(fd, $0, strlen($0), 0) }
        close(fd)
        let edited = try #require(try Self.index(path, store))
        #expect(store.stores == 2, "scanned and recorded again")
        #expect(edited.candidate(named: "profile GEN0") == 0)
        let file = try Self.file(path, store)
        #expect(file.reading == .indexFromCache)
        #expect(file.section(named: "profile GEN0") != nil && file.section(named: "profile gen0") == nil)

        // A new file renamed over the old one.
        let replacement = try temporaryFile(Array((Self.text + "[profile added]\nk = 1\n").utf8))
        #expect(rename(replacement, path) == 0)
        _ = try Self.index(path, store)
        #expect(store.stores == 3)
        let replaced = try Self.file(path, store)
        #expect(replaced.section(named: "profile added")?.entries.first?.key == "k")

        let contents = try #require(try ConfigFileContents.open(at: path, limit: AWSConfig.maximumFileSize))
        let record = try #require(store.load(INIIndexRecord.name(forPath: path), limit: .max))
        let identity = try #require(contents.identity)
        let program = try #require(INIIndexRecord.program)
        #expect(INIIndexRecord.decode(record, contents: contents, identity: identity, program: program) != nil)
        var other = program
        other.modified.1 += 1
        #expect(INIIndexRecord.decode(record, contents: contents, identity: identity, program: other) == nil)
    }

    @Test("a file changed within the last two seconds gets no record until it has settled")
    func settling() throws {
        let path = try temporaryFile(Array(Self.text.utf8))
        defer { unlink(path) }
        let store = MemoryIndexStore()
        #expect(try Self.index(path, store, settle: INIIndexRecord.settleSeconds) != nil)
        #expect(store.stores == 0)
        usleep(3_100_000)
        #expect(try Self.index(path, store, settle: INIIndexRecord.settleSeconds) != nil)
        #expect(store.stores == 1)
    }

    @Test("small files, files the scanner cannot vouch for and files of tiny sections get no record")
    func notRecorded() throws {
        let store = MemoryIndexStore()
        for (text, indexed) in [
            ("[profile small]\nk = v\n", true),
            (INIFileOnDiskTests.filler(3000) + "[profile bad]\nno delimiter\n", false),
            ((0..<20000).map { "[s\($0)]\n" }.joined(), true),
        ] {
            let path = try temporaryFile(Array(text.utf8))
            defer { unlink(path) }
            #expect(try (Self.index(path, store) != nil) == indexed, "\(text.prefix(20))")
        }
        #expect(store.stores == 0)
    }

    @Test("a record whose identity matches a file it was not made from is found stale at the first block, and removed")
    func staleRecord() throws {
        let head = INIFileOnDiskTests.filler(2000)
        let first = Array((head + "[profile keys]\nnote = cafe\n[profile next]\nk = 1\n").utf8)
        let second = Array((head + "[profile keys]\nnote = caf\n[profile nextx]\nk = 1\n").utf8)
        #expect(first.count == second.count)
        let path = try temporaryFile(first)
        defer { unlink(path) }
        let store = MemoryIndexStore()
        let name = INIIndexRecord.name(forPath: path)
        _ = try Self.index(path, store)
        let recordOfFirst = try #require(store.load(name, limit: .max))
        let fd = open(path, O_WRONLY)
        _ = second.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        close(fd)
        _ = try Self.index(path, store)
        let recordOfSecond = try #require(store.load(name, limit: .max))
        // The first version's record under the second version's identity: what a file system that kept the times
        // through the edit would leave.
        let identity = (8 + 56)..<(8 + 112)
        var stale = recordOfFirst
        stale.replaceSubrange(identity, with: recordOfSecond[identity])
        store.store(name, stale)

        let files = ConfigFiles(configPath: path, credentialsPath: path + ".none")
        let config = try AWSConfig.load(files, indexes: store)
        #expect(config.readings.first?.contains("stored") == true)
        #expect(config.profile(named: "keys") == nil)
        #expect(throws: ConfigError.staleIndex(path: path)) { try config.checkUnchanged() }
        #expect(store.load(name, limit: .max) == nil, "the stale record is removed")
        let again = try AWSConfig.load(files, indexes: store)
        #expect(again.profile(named: "keys")?.values["note"] == "caf")
        #expect(again.profile(named: "nextx") != nil)
        try again.checkUnchanged()

        // A listing reads the whole file: it checks every block, and scans again when one differs.
        store.store(name, stale)
        let listed = try AWSConfig.load(files, indexes: store).forManyLookups()
        #expect(listed.profileNames.contains("nextx") && !listed.profileNames.contains("next"))
        #expect(store.load(name, limit: .max) == nil)
    }

    @Test("a block that starts or ends inside a character is an error, not a crash")
    func blockCutInsideACharacter() {
        let bytes = Array("[profile keys]\nnote = caf\u{E9}\n".utf8)
        // Between the two bytes of "é".
        let cut = bytes.count - 2
        #expect(throws: ConfigError.self) { try INIParser.parse(blocks: [(Array(bytes[..<cut]), 10)], path: "c") }
        #expect(throws: ConfigError.self) { try INIParser.parse(blocks: [([0xA9] + bytes, 10)], path: "c") }
    }

    @Test("a relative path is named as the absolute path it stands for, so two working directories do not share")
    func relativeName() {
        let directory = FileManager.default.currentDirectoryPath
        #expect(INIIndexRecord.name(forPath: "config") == INIIndexRecord.name(forPath: directory + "/config"))
        #expect(INIIndexRecord.name(forPath: "config") != INIIndexRecord.name(forPath: "/elsewhere/config"))
        #expect(INIIndexRecord.name(forPath: "/a/config").utf8.count == "config-index-".utf8.count + 16)
    }

    @Test("records that do not hold together are refused")
    func refused() throws {
        let path = try temporaryFile(Array(Self.text.utf8))
        defer { unlink(path) }
        let store = MemoryIndexStore()
        let index = try #require(try Self.index(path, store))
        let contents = try #require(try ConfigFileContents.open(at: path, limit: AWSConfig.maximumFileSize))
        let identity = try #require(contents.identity)
        let program = try #require(INIIndexRecord.program)
        let good = try #require(store.load(INIIndexRecord.name(forPath: path), limit: .max))
        func decodes(_ bytes: [UInt8]) -> Bool {
            INIIndexRecord.decode(bytes, contents: contents, identity: identity, program: program) != nil
        }
        #expect(decodes(good))
        let header = INIIndexRecord.headerSize
        let blocks = header, sections = index.sections.count
        let defaults = header + sections * (INIIndexRecord.blockSize + 16)
        let irregular = defaults + index.defaults.count * (INIIndexRecord.blockSize + 8)
        func int32(_ value: Int32, at offset: Int) -> [UInt8] {
            var bytes = good
            withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<(offset + 4), with: $0) }
            return bytes
        }
        let end = Int32(contents.count)
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("cut short", Array(good.dropLast())),
            ("one byte more", good + [0]),
            ("another magic", [0x42] + good.dropFirst()),
            ("another version", int32(2, at: 4)),
            ("a section count too large", int32(Int32(sections + 1), at: header - 12)),
            ("a block past the file's end", int32(end + 1, at: blocks + 4 + (sections - 1) * 20)),
            ("a name ending after its block", int32(end, at: blocks + 12 + (sections - 1) * 20)),
            ("a name range backwards", int32(0, at: blocks + 12)),
            ("a negative start", int32(-1, at: blocks)),
            ("blocks out of order", int32(0, at: blocks + 20)),
            ("a [DEFAULT] block inside a section", int32(Int32(index.sections[1].bytes.lowerBound), at: defaults)),
            ("an irregular section past the last", int32(Int32(sections), at: irregular)),
        ]
        for (what, bytes) in cases {
            let refused = !decodes(bytes)
            #expect(refused, "\(what)")
        }
        // Random damage never crashes: whatever decodes stays inside the file, and a lookup through it either gives
        // the whole parse's section or finds the record stale.
        let whole = try INIParser.parse(Array(Self.text.utf8), path: path)
        let name = INIIndexRecord.name(forPath: path)
        var generator = SplitMix64(state: 0x5EED)
        var accepted = 0
        var stale = 0
        for round in 0..<3000 {
            var bytes = good
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                // Half the damage in the block fields, where it is most likely to be accepted.
                let range = round % 2 == 0 ? bytes.count : defaults - header
                let offset = (round % 2 == 0 ? 0 : header) + Int(generator.next() % UInt64(range))
                bytes[offset] = UInt8(truncatingIfNeeded: generator.next())
            }
            guard let damaged = INIIndexRecord.decode(bytes, contents: contents, identity: identity, program: program)
            else { continue }
            accepted += 1
            for block in damaged.sections + damaged.defaults {
                #expect(block.bytes.upperBound <= contents.count && block.name.upperBound <= block.bytes.upperBound)
            }
            #expect(damaged.irregular.allSatisfy { $0 < damaged.sections.count })
            store.store(name, bytes)
            let file = try Self.file(path, store)
            #expect(file.reading == .indexFromCache)
            for wanted in ["profile keys", "profile gen7", "profile gen2999", "profile \"odd name\""] {
                if let found = file.section(named: wanted) {
                    #expect(found == whole.sections.last { $0.name == wanted })
                }
            }
            _ = file.lastSection(.profile, named: "odd name")
            _ = file.names(.profile)
            if (try? file.checkUnchanged()) == nil { stale += 1 }
        }
        #expect(accepted > 50 && stale > 10, "accepted \(accepted), stale \(stale)")
    }
}
