#if canImport(Glibc)
    import Glibc
#endif

/// What the plugin asks of the machine it runs on: who and where it is, and a terminal for an MFA code.
public struct LocalSystem: Sendable {
    /// The login name: `USER`, then `LOGNAME` of `environment`, then the password database.
    public var userName: @Sendable (_ environment: [String: String]) -> String?
    /// The host name.
    public var hostName: @Sendable () -> String?
    /// Shows the prompt and reads one line from the controlling terminal; `nil` when there is no terminal.
    public var readCode: @Sendable (_ prompt: String) -> String?

    /// Custom behaviour (tests).
    public init(
        userName: @escaping @Sendable ([String: String]) -> String?,
        hostName: @escaping @Sendable () -> String?,
        readCode: @escaping @Sendable (String) -> String?
    ) {
        self.userName = userName
        self.hostName = hostName
        self.readCode = readCode
    }

    /// The real machine; the code is read from `/dev/tty`, never from stdin or stdout, which belong to the SDK
    /// that runs aws-elevate.
    public static let current = LocalSystem(
        userName: { environment in
            for name in ["USER", "LOGNAME"] {
                if let value = environment[name], !value.isEmpty { return value }
            }
            return passwordDatabaseName()
        },
        hostName: {
            var buffer = [CChar](repeating: 0, count: 256)
            guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
            return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        },
        readCode: readLineFromTerminal
    )
}

private func passwordDatabaseName() -> String? {
    var entry = passwd()
    var result: UnsafeMutablePointer<passwd>?
    var buffer = [CChar](repeating: 0, count: 4096)
    guard getpwuid_r(geteuid(), &entry, &buffer, buffer.count, &result) == 0, result != nil,
        let name = entry.pw_name
    else { return nil }
    return String(cString: name)
}

/// Writes `prompt` to `/dev/tty` and reads one line (at most 64 bytes kept); `nil` when the process has no
/// controlling terminal.
@Sendable private func readLineFromTerminal(_ prompt: String) -> String? {
    let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var promptBytes = Array(prompt.utf8)
    while !promptBytes.isEmpty {
        let written = write(fd, promptBytes, promptBytes.count)
        if written < 0 {
            if errno == EINTR { continue }
            return nil
        }
        promptBytes.removeFirst(written)
    }
    var line: [UInt8] = []
    var byte: UInt8 = 0
    while true {
        let count = read(fd, &byte, 1)
        if count < 0 {
            if errno == EINTR { continue }
            return nil
        }
        if count == 0 || byte == UInt8(ascii: "\n") { break }
        if line.count < 64 { line.append(byte) }
    }
    return String(decoding: line, as: UTF8.self)
}
