#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// Writes log lines to standard error as `aws-elevate: debug: message key=value`.
///
/// Messages must already be free of secrets (log ``Credentials`` through its description, which masks them).
public struct StderrLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String

    public init(label: String = "aws-elevate", level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = "\(label): \(event.level): \(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(value)"
        }
        writeStderrLine(singleLine(line))
    }
}

/// Writes `line` and a newline to standard error in one `write`.
public func writeStderrLine(_ line: String) {
    var bytes = Array(line.utf8)
    bytes.append(0x0A)
    writeAll(fd: 2, bytes)
}

/// Writes all of `bytes` to `fd`, retrying on short writes and EINTR. Returns false, with `errno` set, when the
/// write failed.
@discardableResult
public func writeAll(fd: Int32, _ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            if n == 0 {
                errno = EIO
                return false
            }
            offset += n
        }
        return true
    }
}
