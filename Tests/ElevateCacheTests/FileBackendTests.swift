#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
@testable import ElevateCache
import ElevateCore
import ElevateCrypto
import Testing

@Suite("file backend", .serialized)
struct FileBackendTests {
    let now = Date(timeIntervalSince1970: 1_900_000_000)
    let key: CacheKey

    init() throws { key = try CacheKey(profile: "app-chain", steps: [("fake-source", ["access_key_id": "AKIA1"])]) }

    func stored(_ directory: TemporaryDirectory) throws -> (FileBackend, CacheEntry, String) {
        let backend = directory.backend()
        let entry = entry(key: key, now: now)
        #expect(try backend.store(entry, under: key) == nil)
        return (backend, entry, backend.path(for: key))
    }

    func expectDiscarded(_ backend: FileBackend, _ words: String) throws {
        guard case .discarded(let reason) = try backend.load(key) else {
            Issue.record("expected the entry to be discarded (\(words))")
            return
        }
        #expect(reason.contains(words), "\(reason)")
    }

    @Test("an entry round-trips through the file with every field")
    func roundTrip() throws {
        let directory = TemporaryDirectory()
        let (backend, entry, _) = try stored(directory)
        #expect(try backend.load(key) == .found(entry))
        #expect(try backend.load(try CacheKey(profile: "other", steps: [])) == .missing)
    }

    @Test("files are 0600 in 0700 directories, the key is 32 random bytes, and no secret is in plain text")
    func permissionsAndPlaintext() throws {
        let directory = TemporaryDirectory()
        let (_, _, path) = try stored(directory)
        #expect(mode(of: path) == 0o600)
        #expect(mode(of: directory.cacheDirectory) == 0o700)
        #expect(mode(of: directory.keyPath) == 0o600)
        #expect(mode(of: directory.path + "/config/aws-elevate") == 0o700)
        #expect(readBytes(directory.keyPath).count == 32)
        let bytes = readBytes(path)
        for secret in [secretKey, sessionToken, "ASIAFETCHEDSESSION01", "app-chain", roleArn] {
            #expect(!bytes.contains(subsequence: Array(secret.utf8)), "'\(secret)' is in the file in plain text")
        }
        #expect(Array(bytes.prefix(5)) == Array("AEVC".utf8) + [1], "a versioned header")
    }

    @Test("every write uses a fresh nonce")
    func freshNonce() throws {
        let directory = TemporaryDirectory()
        let (backend, entry, path) = try stored(directory)
        let first = readBytes(path)
        #expect(try backend.store(entry, under: key) == nil)
        let second = readBytes(path)
        #expect(first.count == second.count)
        #expect(first[5..<17] != second[5..<17], "the nonce was reused")
    }

    @Test("a tampered ciphertext is discarded, never trusted")
    func tampered() throws {
        let directory = TemporaryDirectory()
        let (backend, _, path) = try stored(directory)
        var bytes = readBytes(path)
        bytes[30] ^= 0x01
        writeBytes(path, bytes)
        try expectDiscarded(backend, "does not authenticate")
    }

    @Test("an entry sealed with another key is discarded")
    func wrongKey() throws {
        let directory = TemporaryDirectory()
        let (backend, _, _) = try stored(directory)
        writeBytes(directory.keyPath, try randomBytes(count: 32))
        try expectDiscarded(backend, "does not authenticate")
    }

    @Test("an entry copied under another key's name is discarded (the key name is associated data)")
    func renamed() throws {
        let directory = TemporaryDirectory()
        let (backend, _, path) = try stored(directory)
        let other = try CacheKey(profile: "other", steps: [])
        writeBytes(backend.path(for: other), readBytes(path))
        chmod(backend.path(for: other), 0o600)
        guard case .discarded = try backend.load(other) else {
            Issue.record("a file moved to another key must not authenticate")
            return
        }
    }

    @Test("a truncated file is discarded", arguments: [0, 3, 5, 20, 40])
    func truncated(length: Int) throws {
        let directory = TemporaryDirectory()
        let (backend, _, path) = try stored(directory)
        let bytes = readBytes(path)
        writeBytes(path, Array(bytes.prefix(length)))
        guard case .discarded = try backend.load(key) else {
            Issue.record("a file cut to \(length) bytes must be discarded")
            return
        }
        // One byte short of the whole: the tag no longer checks.
        writeBytes(path, Array(bytes.dropLast()))
        try expectDiscarded(backend, "does not authenticate")
    }

    @Test("an entry of another format version is discarded")
    func wrongVersion() throws {
        let directory = TemporaryDirectory()
        let (backend, _, path) = try stored(directory)
        var bytes = readBytes(path)
        bytes[4] = 2
        writeBytes(path, bytes)
        try expectDiscarded(backend, "format version 2")
    }

    @Test("a missing key file makes entries unreadable, and a store makes a new key")
    func missingKey() throws {
        let directory = TemporaryDirectory()
        let (backend, entry, _) = try stored(directory)
        unlink(directory.keyPath)
        try expectDiscarded(backend, "no key file")
        #expect(try backend.store(entry, under: key) == nil)
        #expect(try backend.load(key) == .found(entry))
    }

    @Test("a key file that is not 32 bytes stops the run with a remedy")
    func damagedKey() throws {
        let directory = TemporaryDirectory()
        let (backend, _, _) = try stored(directory)
        writeBytes(directory.keyPath, Array(repeating: 7, count: 31))
        #expect(throws: CacheError.invalidKeyFile(path: directory.keyPath)) { try backend.load(key) }
    }

    @Test("a group- or world-accessible cache directory is rejected, naming the chmod remedy",
          arguments: [0o750, 0o705, 0o770])
    func openDirectory(bits: Int) throws {
        let directory = TemporaryDirectory()
        let (backend, _, _) = try stored(directory)
        chmod(directory.cacheDirectory, mode_t(bits))
        let error = try #require(throws: CacheError.self) { try backend.load(key) }
        #expect(error == .insecurePermissions(path: directory.cacheDirectory, mode: UInt32(bits) | S_IFDIR, isDirectory: true))
        #expect(error.remedy.contains("chmod 700 '\(directory.cacheDirectory)'"))
        #expect(error.problem.contains("0\(String(bits, radix: 8))"))
        #expect(error.category.exitCode == 1)
    }

    @Test("a group- or world-readable cache file is rejected", arguments: [0o640, 0o604, 0o660])
    func openFile(bits: Int) throws {
        let directory = TemporaryDirectory()
        let (backend, _, path) = try stored(directory)
        chmod(path, mode_t(bits))
        let error = try #require(throws: CacheError.self) { try backend.load(key) }
        #expect(error.problem.contains(path))
        #expect(error.remedy.contains("chmod 600 '\(path)'"))
    }

    @Test("a cache file, the directory or the key owned by another user is rejected, naming the chown remedy")
    func foreignOwner() throws {
        for target in ["file", "directory", "key"] {
            let directory = TemporaryDirectory()
            let (backend, _, path) = try stored(directory)
            let victim = switch target {
            case "file": path
            case "directory": directory.cacheDirectory
            default: directory.keyPath
            }
            #expect(chown(victim, 65534, 65534) == 0, "tests run as root")
            let error = try #require(throws: CacheError.self) { try backend.load(key) }
            guard case .foreignOwner(let named, let owner, _, _) = error else {
                Issue.record("\(target): expected a foreign owner error, got \(error)")
                continue
            }
            #expect(named == victim && owner == 65534)
            #expect(error.remedy.contains("chown \(geteuid()) '\(victim)'"))
        }
    }

    @Test("a symbolic link in place of a cache file is never followed: the entry is discarded and replaced")
    func symlinkedFile() throws {
        let directory = TemporaryDirectory()
        let (backend, entry, path) = try stored(directory)
        let target = directory.path + "/elsewhere"
        rename(path, target)
        symlink(target, path)
        try expectDiscarded(backend, "symbolic link")
        let before = readBytes(target)
        #expect(try backend.store(entry, under: key) == nil)
        #expect(readBytes(target) == before, "the link's target was written to")
        var info = stat()
        lstat(path, &info)
        #expect(info.st_mode & S_IFMT == S_IFREG, "the link was replaced by a file")
    }

    @Test("a directory in place of a cache file stops the run")
    func directoryInPlace() throws {
        let directory = TemporaryDirectory()
        let (backend, _, path) = try stored(directory)
        unlink(path)
        mkdir(path, 0o700)
        #expect(throws: CacheError.notARegularFile(path: path)) { try backend.load(key) }
    }

    @Test("a cache directory below a regular file is unavailable, not an error (ENOTDIR)")
    func belowAFile() throws {
        let directory = TemporaryDirectory()
        writeBytes(directory.path + "/plain", [1])
        let backend = FileBackend(directory: directory.path + "/plain/aws-elevate", keyPath: directory.keyPath)
        guard case .unavailable(let reason) = try backend.load(key) else {
            Issue.record("expected unavailable")
            return
        }
        #expect(reason.description.contains("Not a directory"))
        let failure = try #require(try backend.store(entry(key: key, now: now), under: key))
        #expect(failure.description.contains("Not a directory"))
    }

    @Test("an immutable (read-only) cache directory fails the store without an error")
    func readOnly() throws {
        let directory = TemporaryDirectory()
        let backend = directory.backend()
        mkdir(directory.path + "/cache", 0o700)
        mkdir(directory.cacheDirectory, 0o700)
        #expect(run("chattr +i '\(directory.cacheDirectory)'") == 0)
        #expect(try backend.load(key) == .missing)
        let failure = try #require(try backend.store(entry(key: key, now: now), under: key))
        #expect(failure.description.contains("Operation not permitted"))
    }

    @Test("list shows profile, role and expiry; clear removes by profile or all")
    func listAndClear() throws {
        let directory = TemporaryDirectory()
        let backend = directory.backend()
        let other = try CacheKey(profile: "other", steps: [])
        #expect(try backend.store(entry(key: key, now: now), under: key) == nil)
        #expect(try backend.store(entry(key: other, now: now, profile: "other"), under: other) == nil)
        writeBytes(directory.cacheDirectory + "/v1-\(String(repeating: "a", count: 64)).session", [1, 2, 3])
        chmod(directory.cacheDirectory + "/v1-\(String(repeating: "a", count: 64)).session", 0o600)
        let listings = try backend.list()
        #expect(listings.count == 3)
        #expect(Set(listings.compactMap(\.profile)) == ["app-chain", "other"])
        #expect(listings.filter { $0.profile == nil }.count == 1, "the damaged entry is listed as unreadable")
        #expect(listings.allSatisfy { $0.backend == "file" })
        #expect(listings.first { $0.profile == "other" }?.role == roleArn)
        #expect(try backend.remove(profile: "other") == CacheRemoval(sessions: 1))
        #expect(try backend.load(other) == .missing)
        #expect(try backend.load(key) != .missing)
        #expect(try backend.remove(profile: nil) == CacheRemoval(sessions: 2))
        #expect(try backend.list().isEmpty)
        #expect(exists(directory.keyPath), "clear keeps the key")
    }
}

/// `cache clear` used to remove every `*.lock` and `*.tmp-*` name in the cache directory, following a symbolic link
/// to another folder, and to count none of them.
@Suite("clearing the file backend", .serialized)
struct FileBackendClearTests {
    let now = Date(timeIntervalSince1970: 1_900_000_000)

    /// Names the backend never makes, each one near to one it does.
    static let foreignNames = [
        "notes.lock", "backup.tmp-1", "v1-\(String(repeating: "a", count: 63)).lock",
        "v1-\(String(repeating: "A", count: 64)).lock", "v1-\(String(repeating: "a", count: 64)).lock.bak",
        "v1-\(String(repeating: "a", count: 64)).lock\u{301}", "v1-\(String(repeating: "a", count: 64)).session~",
        "v2-\(String(repeating: "a", count: 64)).lock", "v1-\(String(repeating: "a", count: 64)).tmp-1-0123456789abcdef",
        "v1-\(String(repeating: "a", count: 64)).session.tmp-01-0123456789abcdef",
        "v1-\(String(repeating: "a", count: 64)).session.tmp-1-0123456789abcde",
        "v1-\(String(repeating: "a", count: 64)).session.tmp-1-0123456789ABCDEF",
        "v1-\(String(repeating: "a", count: 64)).session.tmp--0123456789abcdef",
        "v1-\(String(repeating: "a", count: 64)).session.tmp-12345678901-0123456789abcdef",
        "v1-\(String(repeating: "a", count: 64)).session.tmp-1-0123456789abcdef.x",
    ]

    @Test("clearing all removes the entries and only lock and temporary files of the backend's own exact names, and counts them")
    func onlyOwnNames() throws {
        let directory = TemporaryDirectory()
        let backend = directory.backend()
        let key = try CacheKey(profile: "app-chain", steps: [])
        #expect(try backend.store(entry(key: key, now: now), under: key) == nil)
        let own = "v1-\(key.digest)"
        let leftovers = [own + ".lock", own + ".session.tmp-4194304-0123456789abcdef", own + ".session.tmp-7-fedcba9876543210"]
        for name in leftovers + Self.foreignNames { writePrivate(directory.cacheDirectory + "/" + name) }
        #expect(try backend.remove(profile: nil) == CacheRemoval(sessions: 1, leftovers: 3))
        for name in leftovers + [own + ".session"] { #expect(!exists(directory.cacheDirectory + "/" + name), "\(name)") }
        for name in Self.foreignNames { #expect(exists(directory.cacheDirectory + "/" + name), "\(name) was removed") }
    }

    @Test("clearing refuses a cache directory that is a symbolic link, and removes nothing behind it")
    func symlinkedDirectoryRefused() throws {
        let directory = TemporaryDirectory()
        let key = try CacheKey(profile: "app-chain", steps: [])
        #expect(try directory.backend().store(entry(key: key, now: now), under: key) == nil)
        let elsewhere = directory.path + "/elsewhere"
        #expect(rename(directory.cacheDirectory, elsewhere) == 0)
        #expect(symlink(elsewhere, directory.cacheDirectory) == 0)
        let names = ["v1-\(key.digest).session", "v1-\(key.digest).lock", "other.lock", "file.tmp-1"]
        for name in names.dropFirst() { writePrivate(elsewhere + "/" + name) }
        #expect(throws: CacheError.symbolicLink(path: directory.cacheDirectory)) {
            try directory.backend().remove(profile: nil)
        }
        #expect(throws: CacheError.symbolicLink(path: directory.cacheDirectory)) {
            try directory.backend().remove(profile: "app-chain")
        }
        for name in names { #expect(exists(elsewhere + "/" + name), "\(name) was removed") }
        let failure = CacheError.symbolicLink(path: directory.cacheDirectory)
        #expect(failure.category == .credentials)
        #expect(failure.remedy.contains("AWS_ELEVATE_CACHE_DIR") && failure.remedy.contains("mkdir -m 700"))
        // A run still follows it (the checks apply to its target), as before.
        #expect(try directory.backend().load(key) != .missing)
    }
}

/// One format version for keys, payloads, file names and keyring items (``CacheFormat``): entries of v1 keep working,
/// and entries of other versions are no longer left on disk forever.
@Suite("cache format versions", .serialized)
struct CacheFormatTests {
    let now = Date(timeIntervalSince1970: 1_900_000_000)

    /// A v1 entry made outside aws-elevate (Python's AES-GCM, a fixed key and nonce) from the v1 layout: `AEVC`, the
    /// version byte 1, the nonce, the sealed payload (version byte 1, then length-prefixed fields) and the tag, with
    /// `AEVC\x01aws-elevate/v1/<digest>` as associated data, under the name `v1-<digest>.session`.
    static let fixture = """
        4145564301a0a1a2a3a4a5a6a7a8a9aaabb8d13d66b2d42d77526bce0e87e454e178a18136390a01e64639b49f332cb95750b3f8aa8e\
        b0d1564c14a1fbc7542f4578d411a6adf99fb72986e292a354660acd20c286cf492d93bbf2279663b89abdacfd772978f65271af9bbe\
        4e92b530a104de243c338f62c8d3fa741f120bc6fcd0e06a43e4e6ebe9fdd17984d0355db99fa2209649b19e812475f7470663bcefa4\
        35c42a84970121363ff43e0c466b6512d19adb4aff4a63319d4f784b0fe92712fe73be6532df633b814466019fea0d595389cd89a993\
        ba569326e6da59141a15ed240e074daba6e51493766e0701aa5b84341ff92817ed249ff8c7f8
        """

    @Test("a v1 entry written from the layout outside aws-elevate is found: the format on disk is unchanged")
    func v1FixtureStillReads() throws {
        let directory = TemporaryDirectory()
        let backend = directory.backend()
        let made = try CacheKey(profile: "made", steps: [])
        #expect(try backend.store(entry(key: made, now: now), under: made) == nil, "makes the directory and key")
        writePrivate(directory.keyPath, Array(1...32))
        let key = try #require(CacheKey(digest: String(repeating: "ab", count: 32)))
        #expect(FileBackend.fileName(key) == "v1-\(key.digest).session")
        writePrivate(backend.path(for: key), try #require(hexBytes(Self.fixture)))
        guard case .found(let found) = try backend.load(key) else {
            Issue.record("the v1 fixture was not found: \(try backend.load(key))")
            return
        }
        #expect(found.key == "aws-elevate/v1/\(key.digest)" && found.profile == "fixture")
        #expect(found.role == "arn:aws:iam::123456789012:role/fixture")
        #expect(found.credentials.accessKeyId == "ASIAFIXTUREV10000001")
        #expect(found.credentials.secretAccessKey == "fixture/secret+v1")
        #expect(found.credentials.sessionToken == "FwoGZXIvfixture" && found.credentials.origin == .role)
        #expect(found.expiration == Date(timeIntervalSince1970: 1_900_003_600) && found.fetchedAt == now)
        // And what this version writes has the same layout, so the fixture's bytes stand for both.
        let written = readBytes(backend.path(for: made))
        #expect(Array(written.prefix(5)) == Array("AEVC".utf8) + [1])
        #expect(EntryCodec.encode(entry(key: made, now: now)).first == 1)
        #expect(SecretServiceKeyring().keyring.formatVersion == "1", "the keyring items' version attribute")
    }

    @Test("entries of other versions are listed as stale; clearing all removes them and older versions' leftovers")
    func otherVersions() throws {
        let directory = TemporaryDirectory()
        let backend = directory.backend()
        let key = try CacheKey(profile: "app-chain", steps: [])
        #expect(try backend.store(entry(key: key, now: now), under: key) == nil)
        let a = String(repeating: "a", count: 64)
        let stale = ["v0-\(a).session", "v2-\(a).session", "v17-\(key.digest).session"]
        let olderLeftovers = ["v0-\(a).lock", "v0-\(a).session.tmp-42-0123456789abcdef"]
        // A newer version's lock or temporary file may be held by a newer aws-elevate: not ours to remove.
        let kept = ["v2-\(a).lock", "v2-\(a).session.tmp-42-0123456789abcdef", "v01-\(a).session", "v-\(a).session",
                    "v0-\(a).session.old", "v1234567890-\(a).session", "V0-\(a).session"]
        for name in stale + olderLeftovers + kept { writePrivate(directory.cacheDirectory + "/" + name) }

        let listings = try backend.list()
        #expect(listings.filter { $0.staleVersion == nil }.map(\.profile) == ["app-chain"])
        #expect(listings.filter { $0.staleVersion != nil }.map(\.location).sorted() == stale.sorted())
        #expect(Set(listings.compactMap(\.staleVersion)) == ["0", "2", "17"])
        #expect(listings.allSatisfy { $0.staleVersion == nil || ($0.profile == nil && $0.expiration == nil) })

        // A stale entry is never read, so it belongs to no profile.
        #expect(try backend.remove(profile: "app-chain") == CacheRemoval(sessions: 1))
        for name in stale { #expect(exists(directory.cacheDirectory + "/" + name), "\(name) was removed") }
        #expect(try backend.remove(profile: nil) == CacheRemoval(sessions: 0, leftovers: 2, stale: 3))
        for name in stale + olderLeftovers {
            #expect(!exists(directory.cacheDirectory + "/" + name), "\(name) is still there")
        }
        for name in kept { #expect(exists(directory.cacheDirectory + "/" + name), "\(name) was removed") }
        #expect(try backend.list().isEmpty)
    }

    @Test("keyring items of another version are listed as stale and removed by clearing, counted apart")
    func keyringOtherVersions() throws {
        let keyring = FakeKeyring()
        let backend = KeyringBackend(keyring: keyring)
        let key = try CacheKey(profile: "app-chain", steps: [])
        #expect(try backend.store(entry(key: key, now: now), under: key) == nil)
        #expect(keyring.items[key.name]?.0["version"] == "1")
        keyring.plant(["key": "aws-elevate/v0/\(String(repeating: "a", count: 64))", "version": "0", "profile": "old"])
        keyring.plant(["key": "aws-elevate/v1/\(String(repeating: "b", count: 64))", "profile": "app-chain"])
        keyring.plant(["key": "x", "version": "9", "profile": "other"])
        let listings = try backend.list()
        #expect(listings.count == 4)
        #expect(listings.filter { $0.staleVersion == nil }.map(\.location) == [key.name])
        #expect(Set(listings.compactMap(\.staleVersion)) == ["0", "", "9"])
        #expect(try backend.remove(profile: "app-chain") == CacheRemoval(sessions: 1, stale: 1))
        #expect(try backend.remove(profile: nil) == CacheRemoval(stale: 2))
        #expect(try backend.list().isEmpty)
    }
}

/// The bytes of a hexadecimal literal; `nil` when it is malformed.
private func hexBytes(_ text: String) -> [UInt8]? {
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0 else { return nil }
    let bytes = stride(from: 0, to: digits.count, by: 2).compactMap { index in
        UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16)
    }
    return bytes.count * 2 == digits.count ? bytes : nil
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard !subsequence.isEmpty, subsequence.count <= count else { return false }
        return (0...(count - subsequence.count)).contains { Array(self[$0..<$0 + subsequence.count]) == subsequence }
    }
}
