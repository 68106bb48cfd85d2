#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ElevateCore

/// The two shared files botocore reads: the config file and the credentials file.
public struct ConfigFiles: Sendable, Equatable {
    /// The config file (`[default]`, `[profile NAME]`), after `$VAR` and `~` expansion.
    public var configPath: String
    /// The credentials file (`[NAME]`), after `$VAR` and `~` expansion.
    public var credentialsPath: String

    /// Two paths, used as given.
    public init(configPath: String, credentialsPath: String) {
        self.configPath = configPath
        self.credentialsPath = credentialsPath
    }

    /// The files botocore would read: `AWS_CONFIG_FILE` (default `~/.aws/config`) and `AWS_SHARED_CREDENTIALS_FILE`
    /// (default `~/.aws/credentials`), with `$VAR`/`${VAR}` and then `~` expanded as botocore does
    /// (`os.path.expandvars`, then `os.path.expanduser`). An empty variable counts as unset.
    public static func locate(environment: [String: String]) -> ConfigFiles {
        func path(_ variable: String, default fallback: String) -> String {
            let raw = environment[variable].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
            return expandUser(expandVariables(raw, environment: environment), environment: environment)
        }
        return ConfigFiles(
            configPath: path("AWS_CONFIG_FILE", default: "~/.aws/config"),
            credentialsPath: path("AWS_SHARED_CREDENTIALS_FILE", default: "~/.aws/credentials")
        )
    }
}

/// Python's `posixpath.expandvars`: `$NAME` and `${NAME}` (NAME of ASCII letters, digits and `_`) are replaced by
/// their value; unknown variables are left as written.
func expandVariables(_ path: String, environment: [String: String]) -> String {
    let scalars = Array(path.unicodeScalars)
    func isNameScalar(_ s: Unicode.Scalar) -> Bool {
        s.isASCII && (s == "_" || s.properties.isAlphabetic || ("0"..."9").contains(s))
    }
    var result = String.UnicodeScalarView()
    var index = 0
    while index < scalars.count {
        guard scalars[index] == "$", index + 1 < scalars.count else {
            result.append(scalars[index])
            index += 1
            continue
        }
        var name: String?
        var end = index + 1
        if scalars[end] == "{" {
            if let close = scalars[(end + 1)...].firstIndex(of: "}") {
                name = String(String.UnicodeScalarView(scalars[(end + 1)..<close]))
                end = close + 1
            }
        } else {
            while end < scalars.count, isNameScalar(scalars[end]) { end += 1 }
            if end > index + 1 { name = String(String.UnicodeScalarView(scalars[(index + 1)..<end])) }
        }
        if let name, let value = environment[name] {
            result.append(contentsOf: value.unicodeScalars)
        } else {
            result.append(contentsOf: scalars[index..<max(end, index + 1)])
        }
        index = max(end, index + 1)
    }
    return String(result)
}

/// Python's `posixpath.expanduser`: a leading `~` becomes `HOME` (or the password database entry when `HOME` is
/// unset), `~user` becomes that user's home; anything else is returned unchanged.
func expandUser(_ path: String, environment: [String: String]) -> String {
    // Code points, as Python compares them: as Characters, a `/` or `~` that a combining mark follows would not
    // be found.
    let scalars = path.unicodeScalars
    guard scalars.first == "~" else { return path }
    let afterTilde = scalars.dropFirst()
    let slash = afterTilde.firstIndex(of: "/") ?? afterTilde.endIndex
    let user = String(String.UnicodeScalarView(afterTilde[..<slash]))
    let rest = String(String.UnicodeScalarView(afterTilde[slash...]))
    var home: String?
    if user.isEmpty {
        home = environment["HOME"] ?? passwordHome(getpwuid(getuid()))
    } else {
        home = passwordHome(getpwnam(user))
    }
    guard let home else { return path }
    var homeScalars = home.unicodeScalars
    while homeScalars.last == "/" { homeScalars.removeLast() }
    let expanded = String(homeScalars) + rest
    return expanded.isEmpty ? "/" : expanded
}

private func passwordHome(_ entry: UnsafeMutablePointer<passwd>?) -> String? {
    guard let entry, let directory = entry.pointee.pw_dir else { return nil }
    return String(cString: directory)
}

/// Reads a whole configuration file with POSIX calls.
///
/// Returns `nil` when nothing is there to read: the path does not exist, or names something other than a regular
/// file or a directory (such as `/dev/null`), as botocore's `os.path.isfile` check treats it. A directory, a
/// permission error or a read error throws. Files larger than `limit` bytes are rejected from their `fstat` size,
/// before reading, and a file that grows past the limit while it is read is rejected too.
func readConfigFile(at path: String, limit: Int) throws(ConfigError) -> [UInt8]? {
    guard let (fd, info) = try openConfigFile(at: path, limit: limit) else { return nil }
    defer { close(fd) }
    return try readConfigFile(fd: fd, size: Int(info.st_size), path: path, limit: limit)
}

/// Opens the configuration file at `path` for reading, with the rules of ``readConfigFile(at:limit:)``: `nil` when
/// nothing is there to read; the caller closes the descriptor.
func openConfigFile(at path: String, limit: Int) throws(ConfigError) -> (fd: Int32, info: stat)? {
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    if fd < 0 {
        let code = errno
        if code == ENOENT || code == ENOTDIR { return nil }
        throw .unreadable(path: path, reason: errnoText(code))
    }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
        let code = errno
        close(fd)
        throw .unreadable(path: path, reason: errnoText(code))
    }
    let type = info.st_mode & S_IFMT
    if type == S_IFDIR {
        close(fd)
        throw .unreadable(path: path, reason: "it is a directory")
    }
    guard type == S_IFREG else {
        close(fd)
        return nil
    }
    if Int64(info.st_size) > Int64(limit) {
        close(fd)
        throw .tooLarge(path: path, size: Int64(info.st_size))
    }
    return (fd, info)
}

/// The whole of the open configuration file `fd`, whose `fstat` size was `size`.
func readConfigFile(fd: Int32, size: Int, path: String, limit: Int) throws(ConfigError) -> [UInt8] {
    switch readAll(fd: fd, sizeHint: size, limit: limit) {
    case .bytes(let bytes): return bytes
    case .tooLarge: throw .tooLarge(path: path, size: max(Int64(size), Int64(limit) + 1))
    case .failed(let code): throw .unreadable(path: path, reason: errnoText(code))
    }
}

