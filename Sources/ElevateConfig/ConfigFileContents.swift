#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CFileSystem
import ElevateCore

/// A config file's bytes: in memory, or, for a file larger than ``chunkSize``, open for reading the parts asked
/// for. A config of thousands of generated profiles is megabytes, of which a run needs two or three sections:
/// reading it through one small buffer keeps the run from touching megabytes of fresh memory.
struct ConfigFileContents: Sendable {
    /// Files up to this size are read whole; larger ones are scanned in reads of this size.
    static let chunkSize = 64 * 1024

    private enum Storage: Sendable {
        case memory([UInt8])
        case file(OpenConfigFile)
    }

    private let storage: Storage
    /// The file's size in bytes.
    let count: Int

    init(_ bytes: [UInt8]) {
        storage = .memory(bytes)
        count = bytes.count
    }

    private init(file: OpenConfigFile) {
        storage = .file(file)
        count = file.size
    }

    /// Opens the file at `path`, with the rules of ``readConfigFile(at:limit:)``: `nil` when nothing is there to
    /// read, errors for a directory, a permission or read error, or a file larger than `limit`.
    static func open(at path: String, limit: Int) throws(ConfigError) -> ConfigFileContents? {
        // Before opening: every read comes after this time (see ``openedAfter``).
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        guard let (fd, info) = try openConfigFile(at: path, limit: limit) else { return nil }
        if info.st_size > chunkSize {
            return ConfigFileContents(
                file: OpenConfigFile(fd: fd, path: path, identity: FileIdentity(info), openedAfter: now))
        }
        defer { close(fd) }
        return ConfigFileContents(try readConfigFile(fd: fd, size: Int(info.st_size), path: path, limit: limit))
    }

    /// The bytes at `range`; `nil` when an open file can no longer be read as it was when opened.
    func bytes(_ range: Range<Int>) -> [UInt8]? {
        switch storage {
        case .memory(let bytes): Array(bytes[range])
        case .file(let file): file.read(range)
        }
    }

    /// The whole file, for the full parser.
    func all() throws(ConfigError) -> [UInt8] {
        switch storage {
        case .memory(let bytes): return bytes
        case .file(let file):
            guard let bytes = file.read(0..<file.size) else { throw file.changed }
            return bytes
        }
    }

    /// Calls `body` with runs of whole lines (each with its line end) in file order: the run, its file offset and
    /// the number of its first line; `body` returns the number of the line after the run, or `nil` to stop.
    /// Returns whether every run was read and taken.
    func forEachRun(_ body: (UnsafeBufferPointer<UInt8>, Int, Int) -> Int?) -> Bool {
        switch storage {
        case .memory(let bytes):
            return bytes.withUnsafeBufferPointer { body($0, 0, 1) } != nil
        case .file(let file):
            return file.forEachRun(body)
        }
    }

    /// The identity of a file kept open (a large one) when it was opened; `nil` for bytes in memory.
    var identity: FileIdentity? {
        if case .file(let file) = storage { return file.identity }
        return nil
    }

    /// Whether the file lies on a local file system whose change time moves with every write and cannot be set by
    /// a program (ext4, XFS, Btrfs, tmpfs, overlayfs, ZFS, F2FS, bcachefs): only there is its identity proof that it
    /// is unchanged. FAT rebuilds its times from the modification time, which `touch` sets; network and FUSE file
    /// systems take their times from a server. `false` for bytes in memory.
    var timesTellEdits: Bool {
        if case .file(let file) = storage { return file.timesTellEdits }
        return false
    }

    /// For a file kept open: the clock (`CLOCK_REALTIME`) just before it was opened, so every byte was read after it.
    var openedAfter: timespec? {
        if case .file(let file) = storage { return file.openedAfter }
        return nil
    }

    /// Throws when an open file changed since it was opened (its sections then may not be the ones scanned).
    func checkUnchanged() throws(ConfigError) {
        if case .file(let file) = storage, !file.isUnchanged { throw file.changed }
    }
}

/// What tells one version of a file from another: an edit in place changes the size or the times, a replacement
/// the inode.
struct FileIdentity: Sendable, Equatable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: (Int, Int)
    var changed: (Int, Int)

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = (info.st_mtim.tv_sec, info.st_mtim.tv_nsec)
        changed = (info.st_ctim.tv_sec, info.st_ctim.tv_nsec)
    }

    static func == (a: FileIdentity, b: FileIdentity) -> Bool {
        a.device == b.device && a.inode == b.inode && a.size == b.size && a.modified == b.modified
            && a.changed == b.changed
    }
}

/// A large config file kept open: scanned in chunks, its sections read again with `pread` when asked for, each
/// read checked against the file's identity when it was opened.
private final class OpenConfigFile: @unchecked Sendable {
    // Safe to share: `fd` is only used with `pread` and `fstat`, which take no file position, and nothing else
    // changes after `init`.
    let fd: Int32
    let path: String
    let size: Int
    let identity: FileIdentity
    let openedAfter: timespec
    let timesTellEdits: Bool

    /// `f_type` of the local file systems of ``ConfigFileContents/timesTellEdits``.
    private static let editTrackingFileSystems: Set<UInt64> = [
        0xEF53, 0x5846_5342, 0x9123_683E, 0x0102_1994, 0x794C_7630, 0x2FC1_2FC1, 0xF2F5_2010, 0xCA45_1A4E,
    ]

    init(fd: Int32, path: String, identity: FileIdentity, openedAfter: timespec) {
        self.fd = fd
        self.path = path
        self.identity = identity
        self.openedAfter = openedAfter
        size = Int(identity.size)
        timesTellEdits = Self.editTrackingFileSystems.contains(UInt64(bitPattern: file_system_type(fd)))
    }

    deinit { close(fd) }

    var changed: ConfigError {
        .unreadable(path: path, reason: "it changed while it was read; run the command again")
    }

    var isUnchanged: Bool {
        var info = stat()
        return fstat(fd, &info) == 0 && FileIdentity(info) == identity
    }

    func read(_ range: Range<Int>) -> [UInt8]? {
        guard range.upperBound <= size else { return nil }
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: range.count) { buffer, initialized in
            initialized = 0
            while initialized < range.count {
                let count = pread(
                    fd, buffer.baseAddress! + initialized, range.count - initialized,
                    off_t(range.lowerBound + initialized))
                if count < 0, errno == EINTR { continue }
                if count <= 0 {
                    failed = true
                    return
                }
                initialized += count
            }
        }
        return failed || !isUnchanged ? nil : bytes
    }

    func forEachRun(_ body: (UnsafeBufferPointer<UInt8>, Int, Int) -> Int?) -> Bool {
        var buffer = [UInt8](repeating: 0, count: ConfigFileContents.chunkSize)
        var offset = 0  // file offset of buffer[0]
        var filled = 0
        var line = 1
        var atEnd = false
        while !atEnd {
            if filled == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
            let wanted = min(buffer.count - filled, size - offset - filled)
            let count =
                wanted == 0
                ? 0
                : buffer.withUnsafeMutableBufferPointer { buffer in
                    pread(fd, buffer.baseAddress! + filled, wanted, off_t(offset + filled))
                }
            if count < 0, errno == EINTR { continue }
            if count < 0 { return false }
            filled += count
            atEnd = count == 0 || offset + filled >= size
            let end = atEnd ? filled : Self.lastLineEnd(buffer, filled)
            guard end > 0 else { continue }
            let next = buffer.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[..<end]), offset, line) }
            guard let next else { return false }
            line = next
            buffer.withUnsafeMutableBufferPointer { buffer in
                _ = memmove(buffer.baseAddress!, buffer.baseAddress! + end, filled - end)
            }
            filled -= end
            offset += end
        }
        return offset == size && isUnchanged
    }

    /// Where the last whole line of `buffer[..<filled]` ends, its line end included; 0 when there is none. A `\r`
    /// at the very end may be the first half of `\r\n`, so its line waits for the next read.
    static func lastLineEnd(_ buffer: [UInt8], _ filled: Int) -> Int {
        var index = filled - 1
        while index >= 0 {
            let byte = buffer[index]
            if byte == 0x0A || (byte == 0x0D && index < filled - 1) { return index + 1 }
            index -= 1
        }
        return 0
    }
}
