#if canImport(Glibc)
import Glibc
#endif
import ElevateCrypto

/// Sessions in encrypted files, one per entry: `DIR/v1-<digest>.session`, AES-256-GCM under the key of
/// ``KeyFile`` with a fresh random nonce per write and the entry's key name (and the file header) as associated
/// data, so a file renamed to another entry does not authenticate.
///
/// File layout: `AEVC`, the ``CacheFormat`` version byte, the 12-byte nonce, the ciphertext, the 16-byte tag. The
/// `v1` of the names is the same version: entries of other versions are listed as stale and removed by clearing.
public struct FileBackend: CacheBackend {
    public let name = "file"
    /// The directory of entries and lock files (0700).
    public let directory: String
    /// The key file (0600, in a 0700 directory).
    public let keyPath: String

    static let magic: [UInt8] = Array("AEVC".utf8)
    static var header: [UInt8] { magic + [CacheFormat.versionByte] }
    /// Entries are a few kilobytes; anything much larger is not one.
    static let sizeLimit = 64 * 1024
    static let entrySuffix = ".session"

    public init(directory: String, keyPath: String) {
        self.directory = directory
        self.keyPath = keyPath
    }

    static let lockSuffix = ".lock"
    static let temporaryInfix = ".tmp-"

    /// `v1-<digest>.session`.
    static func fileName(_ key: CacheKey) -> String { "v\(CacheFormat.version)-\(key.digest)\(entrySuffix)" }

    /// `v1-<digest>.lock`: the entry's lock file (``EntryLock``).
    static func lockName(_ key: CacheKey) -> String { "v\(CacheFormat.version)-\(key.digest)\(lockSuffix)" }

    /// `v1-<digest>.session.tmp-<pid>-<16 hex digits>`: a write in progress (or left by a writer that died).
    static func temporaryName(_ key: CacheKey, pid: Int32, suffix: [UInt8]) -> String {
        fileName(key) + temporaryInfix + "\(pid)-" + lowercaseHex(suffix)
    }

    /// What this backend made under `name`, matched byte for byte against the names above, with any version
    /// number in place of the current one (see ``CacheFileKind``); `nil` for any other name, which is never touched.
    static func kind(of name: String) -> CacheFileKind? {
        var name = NameReader(name)
        // The version in decimal without a leading zero, as `\(CacheFormat.version)` prints it.
        guard name.take("v"), let number = name.takeDigits(isDecimal, count: 1...9),
              number.count == 1 || number.first != UInt8(ascii: "0"),
              name.take("-"), let digest = name.takeDigits(isLowercaseHex, count: 64...64),
              let key = CacheKey(digest: String(decoding: digest, as: UTF8.self))
        else { return nil }
        let version = Int(String(decoding: number, as: UTF8.self)) ?? 0
        let current = version == CacheFormat.version
        // An older version's lock or temporary file is a leftover; a newer version's is not ours to touch.
        let olderLeftover: CacheFileKind? = version < CacheFormat.version ? .staleLeftover(version: version) : nil
        if name.take(lockSuffix) {
            guard name.isAtEnd else { return nil }
            return current ? .lock(key) : olderLeftover
        }
        guard name.take(entrySuffix) else { return nil }
        if name.isAtEnd { return current ? .entry(key) : .staleEntry(version: version) }
        // The process id in decimal without a leading zero (as `\(getpid())` prints it), then 8 random bytes.
        guard name.take(temporaryInfix), name.rest.first.map({ $0 != UInt8(ascii: "0") }) == true,
              name.takeDigits(isDecimal, count: 1...10) != nil, name.take("-"),
              name.takeDigits(isLowercaseHex, count: 16...16) != nil, name.isAtEnd
        else { return nil }
        return current ? .temporary(key) : olderLeftover
    }

    /// The path of `key`'s entry file.
    public func path(for key: CacheKey) -> String { directory + "/" + Self.fileName(key) }

    public func load(_ key: CacheKey) throws(CacheError) -> CacheLookup {
        let folder: PrivateDirectory
        switch try PrivateDirectory.open(directory, create: false) {
        case .missing: return .missing
        case .unusable(let failure): return .unavailable(.system(failure))
        case .opened(let opened): folder = opened
        }
        let bytes: [UInt8]
        switch try folder.read(Self.fileName(key), limit: Self.sizeLimit) {
        case .missing: return .missing
        case .symbolicLink: return .discarded(reason: "it is a symbolic link, which is never followed")
        case .tooLarge: return .discarded(reason: "it is too large to be an entry")
        case .failed(let failure): return .unavailable(.system(failure))
        case .bytes(let read): bytes = read
        }
        let cacheKey: [UInt8]
        switch try KeyFile.load(keyPath) {
        case .key(let found): cacheKey = found
        case .missing: return .discarded(reason: "there is no key file '\(keyPath)' to decrypt it")
        case .unusable(let failure): return .unavailable(.system(failure))
        }
        return Self.open(bytes, key: key, with: cacheKey)
    }

    /// The entry sealed in `bytes`, or why it is not trusted.
    static func open(_ bytes: [UInt8], key: CacheKey, with cacheKey: [UInt8]) -> CacheLookup {
        guard bytes.count >= magic.count + 1, Array(bytes.prefix(magic.count)) == magic else {
            return .discarded(reason: "it is not an aws-elevate cache entry")
        }
        guard bytes[magic.count] == CacheFormat.versionByte else {
            return .discarded(reason: "it has format version \(bytes[magic.count]), not \(CacheFormat.version)")
        }
        guard let box = try? AES256GCM.SealedBox(combined: Array(bytes.dropFirst(header.count))) else {
            return .discarded(reason: "it is truncated")
        }
        guard let plaintext = try? AES256GCM.open(box, key: cacheKey, authenticating: header + Array(key.name.utf8))
        else {
            return .discarded(reason: "it does not authenticate (altered, truncated, or sealed with another key)")
        }
        guard let entry = EntryCodec.decode(plaintext), entry.key == key.name else {
            return .discarded(reason: "its contents are not a valid entry for this key")
        }
        return .found(entry)
    }

    /// `entry` sealed for `key`.
    static func seal(_ entry: CacheEntry, key: CacheKey, with cacheKey: [UInt8]) throws(CryptoError) -> [UInt8] {
        let box = try AES256GCM.seal(
            EntryCodec.encode(entry), key: cacheKey, authenticating: header + Array(key.name.utf8))
        return header + box.combined
    }

    public func store(_ entry: CacheEntry, under key: CacheKey) throws(CacheError) -> CacheBackendFailure? {
        let folder: PrivateDirectory
        switch try PrivateDirectory.open(directory, create: true) {
        case .missing: return .cannotCreate(directory: directory)
        case .unusable(let failure): return .system(failure)
        case .opened(let opened): folder = opened
        }
        let cacheKey: [UInt8]
        switch try KeyFile.loadOrCreate(keyPath) {
        case .key(let found): cacheKey = found
        case .missing: return .noKeyFile(path: keyPath)
        case .unusable(let failure): return .system(failure)
        }
        let sealed: [UInt8]
        let suffix: [UInt8]
        do throws(CryptoError) {
            sealed = try Self.seal(entry, key: key, with: cacheKey)
            suffix = try randomBytes(count: 8)
        } catch {
            return .encryption(error)
        }
        let temporary = Self.temporaryName(key, pid: getpid(), suffix: suffix)
        return folder.writeAtomically(Self.fileName(key), sealed, temporaryName: temporary).map { .system($0) }
    }

    /// Removes temporary files of `key` left by writers that died (call only while holding its lock).
    func removeLeftovers(of key: CacheKey) {
        guard case .opened(let folder)? = try? PrivateDirectory.open(directory, create: false),
              let names = try? folder.names()
        else { return }
        for name in names where Self.kind(of: name) == .temporary(key) {
            folder.remove(name)
        }
    }

    public func list() throws(CacheError) -> [CacheListing] {
        guard case .opened(let folder) = try PrivateDirectory.open(directory, create: false) else { return [] }
        let cacheKey: [UInt8]?
        if case .key(let found) = try KeyFile.load(keyPath) { cacheKey = found } else { cacheKey = nil }
        var listings: [CacheListing] = []
        for (name, kind) in ownFiles(folder) {
            var listing = CacheListing(profile: nil, role: nil, expiration: nil, backend: self.name, location: name)
            switch kind {
            case .entry(let key):
                if let cacheKey, case .bytes(let bytes) = try folder.read(name, limit: Self.sizeLimit),
                   case .found(let entry) = Self.open(bytes, key: key, with: cacheKey)
                {
                    listing.profile = entry.profile
                    listing.role = entry.role
                    listing.expiration = entry.expiration
                }
            case .staleEntry(let version):
                listing.staleVersion = String(version)
            case .lock, .temporary, .staleLeftover:
                continue
            }
            listings.append(listing)
        }
        return listings
    }

    /// Removes the entries (of `profile`, or all), and with all of them the stale entries of other format versions
    /// and the lock and temporary files too. Only names of this backend's own format are removed, and a cache
    /// directory that is a symbolic link is refused (``CacheError/symbolicLink(path:isLockDirectory:)``): whatever
    /// it points at is not ours to clear. A stale entry is never read, so clearing one profile leaves it.
    public func remove(profile: String?) throws(CacheError) -> CacheRemoval {
        guard case .opened(let folder) = try PrivateDirectory.open(directory, create: false, followingLink: false)
        else { return CacheRemoval() }
        var removal = CacheRemoval()
        let files = ownFiles(folder)
        guard let profile else {
            // Lock files are safe to remove: a locker checks after flock that its file is still the one in place.
            for (name, kind) in files where folder.remove(name) {
                switch kind {
                case .entry: removal.sessions += 1
                case .staleEntry: removal.stale += 1
                case .lock, .temporary, .staleLeftover: removal.leftovers += 1
                }
            }
            return removal
        }
        guard case .key(let cacheKey) = try KeyFile.load(keyPath) else { return removal }
        for (name, kind) in files {
            guard case .entry(let key) = kind,
                  case .bytes(let bytes) = try folder.read(name, limit: Self.sizeLimit),
                  case .found(let entry) = Self.open(bytes, key: key, with: cacheKey), entry.profile == profile
            else { continue }
            if folder.remove(name) { removal.sessions += 1 }
        }
        return removal
    }

    /// The names of this backend's own format in `folder`, sorted, with what they are.
    private func ownFiles(_ folder: PrivateDirectory) -> [(String, CacheFileKind)] {
        ((try? folder.names()) ?? []).sorted().compactMap { name in Self.kind(of: name).map { (name, $0) } }
    }
}

/// A file name of the file backend's own format, and the entry it belongs to.
enum CacheFileKind: Equatable {
    /// `v1-<digest>.session`
    case entry(CacheKey)
    /// `v1-<digest>.lock`
    case lock(CacheKey)
    /// `v1-<digest>.session.tmp-<pid>-<hex>`
    case temporary(CacheKey)
    /// `vN-<digest>.session` of another format version N: never read again, listed as stale, removed by clearing.
    case staleEntry(version: Int)
    /// `vN-<digest>.lock` or a temporary file of an older version N: removed with the leftovers by clearing. Those
    /// of a newer version are not matched: a newer aws-elevate may be using them.
    case staleLeftover(version: Int)
}

/// Reads a file name from its start: a literal, then a run of digits, and so on (the names the cache makes are
/// matched byte for byte).
struct NameReader {
    private(set) var rest: ArraySlice<UInt8>

    init(_ name: String) { rest = Array(name.utf8)[...] }

    var isAtEnd: Bool { rest.isEmpty }

    /// Takes `literal` if the name goes on with it.
    mutating func take(_ literal: String) -> Bool {
        guard rest.starts(with: Array(literal.utf8)) else { return false }
        rest = rest.dropFirst(literal.utf8.count)
        return true
    }

    /// Takes the bytes for which `isDigit` holds, if there are `count` of them.
    mutating func takeDigits(_ isDigit: (UInt8) -> Bool, count: ClosedRange<Int>) -> ArraySlice<UInt8>? {
        let digits = rest.prefix(while: isDigit)
        guard count.contains(digits.count) else { return nil }
        rest = rest.dropFirst(digits.count)
        return digits
    }
}

func isLowercaseHex(_ byte: UInt8) -> Bool { isDecimal(byte) || (0x61...0x66).contains(byte) }
func isDecimal(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
