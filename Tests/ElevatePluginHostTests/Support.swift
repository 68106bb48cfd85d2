#if canImport(Glibc)
import Glibc
#endif
import ElevateCore
import Logging

@testable import ElevatePluginHost

/// A temporary folder, removed with everything in it when the value goes away.
final class Folder: @unchecked Sendable {
    let path: String

    init() {
        var template = Array("/tmp/elevate-plugins.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        _ = remove(path)
    }

    private func remove(_ path: String) -> Int32 {
        if let directory = opendir(path) {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name == "." || name == ".." { continue }
                let child = path + "/" + name
                var info = stat()
                if lstat(child, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR {
                    _ = remove(child)
                } else {
                    unlink(child)
                }
            }
            closedir(directory)
        }
        return rmdir(path)
    }

    /// Writes `text` to `name` inside the folder with `mode`, making the folders on the way; returns its path.
    @discardableResult
    func write(_ name: String, _ text: String, mode: mode_t = 0o755) -> String {
        let full = path + "/" + name
        var folder = ""
        for part in full.split(separator: "/").dropLast() {
            folder += "/" + part
            mkdir(folder, 0o755)
        }
        let fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        precondition(fd >= 0, "cannot create \(full)")
        _ = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        chmod(full, mode)
        return full
    }

    /// The text of `name` inside the folder, `nil` when there is no such file.
    func read(_ name: String) -> String? {
        let fd = open(path + "/" + name, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard case .bytes(let bytes) = readAll(fd: fd, sizeHint: 4096, limit: 1 << 20) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}

func context(_ environment: [String: String] = ["PATH": "/usr/bin:/bin"]) -> RunContext {
    RunContext(environment: environment, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let (whole, fraction) = (ContinuousClock.now - start).components
    return Double(whole) + Double(fraction) / 1e18
}

/// Whether a process with that id still runs: a zombie (dead, not yet reaped by whoever inherited it) does not.
func exists(_ pid: pid_t) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return true }
    defer { close(fd) }
    guard case .bytes(let bytes) = readAll(fd: fd, sizeHint: 512, limit: 4096),
        let close = bytes.lastIndex(of: UInt8(ascii: ")")), close + 2 < bytes.count
    else { return true }
    return bytes[close + 2] != UInt8(ascii: "Z")
}

/// An answer of protocol 1 with these credentials.
func answer(
    key: String = "ASIAPLUGINKEY0001", secret: String = "plugin-secret", token: String? = "plugin-token",
    expiration: String? = "2099-01-01T00:00:00Z"
) -> String {
    var fields = ["\"AccessKeyId\": \"\(key)\"", "\"SecretAccessKey\": \"\(secret)\""]
    if let token { fields.append("\"SessionToken\": \"\(token)\"") }
    if let expiration { fields.append("\"Expiration\": \"\(expiration)\"") }
    return "{\"protocol\": 1, \"credentials\": {" + fields.joined(separator: ", ") + "}}"
}
