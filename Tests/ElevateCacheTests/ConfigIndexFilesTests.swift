#if canImport(Glibc)
import Glibc
#endif
@testable import ElevateCache
import ElevateCore
import Testing

/// The records of large config files' indexes, kept in the cache directory with its checks.
@Suite("config index records in the cache directory", .serialized)
struct ConfigIndexFilesTests {
    static let name = "config-index-0123456789abcdef"

    @Test("a record round-trips in a 0600 file of a 0700 directory made for it; other names are refused")
    func roundTrip() throws {
        let directory = TemporaryDirectory()
        let files = ConfigIndexFiles(directory: directory.cacheDirectory)
        #expect(files.load(Self.name, limit: 100) == nil)
        files.store(Self.name, [1, 2, 3])
        #expect(files.load(Self.name, limit: 100) == [1, 2, 3])
        #expect(files.load(Self.name, limit: 2) == nil, "larger than the limit")
        #expect(mode(of: directory.cacheDirectory) == 0o700)
        #expect(mode(of: directory.cacheDirectory + "/" + Self.name) == 0o600)
        for name in ["v1-\(String(repeating: "a", count: 64)).session", "config-index-0123", "../config-index-0123456789abcdef"] {
            files.store(name, [9])
            #expect(files.load(name, limit: 100) == nil, "\(name)")
        }
        let names = try #require(try? PrivateDirectory.open(directory.cacheDirectory, create: false))
        guard case .opened(let folder) = names else { Issue.record("no directory"); return }
        #expect(try folder.names() == [Self.name], "no temporary file is left")
    }

    @Test("remove takes one record; removeAll takes records and their temporary files only")
    func removal() throws {
        let directory = TemporaryDirectory()
        let files = ConfigIndexFiles(directory: directory.cacheDirectory)
        #expect(try files.removeAll() == 0, "no directory yet")
        files.store(Self.name, [1])
        files.store("config-index-fedcba9876543210", [2])
        files.remove(Self.name)
        #expect(files.load(Self.name, limit: 10) == nil && files.load("config-index-fedcba9876543210", limit: 10) == [2])
        writePrivate(directory.cacheDirectory + "/" + Self.name + ".tmp-42-00000000deadbeef")
        writePrivate(directory.cacheDirectory + "/notes")
        #expect(try files.removeAll() == 2)
        #expect(exists(directory.cacheDirectory + "/notes"))
    }

    @Test("a record readable by others, or a symbolic link in its place, is not used")
    func unsafeRecords() throws {
        let directory = TemporaryDirectory()
        let files = ConfigIndexFiles(directory: directory.cacheDirectory)
        files.store(Self.name, [1])
        let path = directory.cacheDirectory + "/" + Self.name
        chmod(path, 0o644)
        #expect(files.load(Self.name, limit: 100) == nil)
        unlink(path)
        writePrivate(directory.path + "/elsewhere", [5])
        symlink(directory.path + "/elsewhere", path)
        #expect(files.load(Self.name, limit: 100) == nil)
    }

    @Test("the file backend leaves records alone: not listed, not cleared; removeAll takes them and their temporary files")
    func listedAndCleared() throws {
        let directory = TemporaryDirectory()
        let backend = directory.backend()
        let key = try CacheKey(profile: "app-chain", steps: [])
        #expect(try backend.store(entry(key: key, now: .now), under: key) == nil)
        let files = ConfigIndexFiles(directory: directory.cacheDirectory)
        files.store(Self.name, [1])
        let temporary = Self.name + ".tmp-42-00000000deadbeef"
        writePrivate(directory.cacheDirectory + "/" + temporary)
        #expect(ConfigIndexFiles.kind(of: Self.name) == .record)
        #expect(ConfigIndexFiles.kind(of: temporary) == .temporary)
        #expect(FileBackend.kind(of: Self.name) == nil && FileBackend.kind(of: temporary) == nil)
        for foreign in ["config-index-0123456789ABCDEF", "config-index-0123456789abcdef.bak",
                        "config-index-0123456789abcdef.tmp-42-deadbeef"] {
            #expect(ConfigIndexFiles.kind(of: foreign) == nil, "\(foreign)")
        }
        #expect(try backend.list().map(\.location) == [FileBackend.fileName(key)])
        #expect(try backend.remove(profile: "app-chain") == CacheRemoval(sessions: 1))
        #expect(try backend.remove(profile: nil) == CacheRemoval())
        #expect(exists(directory.cacheDirectory + "/" + Self.name) && exists(directory.cacheDirectory + "/" + temporary))
        #expect(try files.removeAll() == 2)
        #expect(!exists(directory.cacheDirectory + "/" + Self.name) && !exists(directory.cacheDirectory + "/" + temporary))
    }
}
