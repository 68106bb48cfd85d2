#if canImport(Glibc)
import Glibc
#endif
import ElevateCore

/// The environment of a command run by `exec`: this process's entries as bytes, less the removed names, plus the
/// set ones.
///
/// Built from bytes, never through `String`: an inherited value that is not UTF-8 reaches the child unchanged.
struct ChildEnvironment: Equatable {
    /// `NAME=VALUE` entries, in order: the kept inherited ones, then the set ones.
    private(set) var entries: [[UInt8]]

    /// Variables that would make an SDK resolve a profile before it looks at keys in the environment: botocore
    /// reads `AWS_PROFILE` first, so a profile that does not exist here fails the call even with good keys.
    static let profileVariables = ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"]

    /// Everything botocore's credential chain would try before its container provider (credentials.py,
    /// `create_credential_resolver`): keys in the environment, a named profile, web identity from the environment,
    /// the legacy `AWS_CREDENTIAL_FILE`, and the container provider's other inputs, which would win over ours.
    static let outranksContainer = [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME", "AWS_CREDENTIAL_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    ]

    init(inherited: [[UInt8]]) {
        entries = inherited
    }

    /// This process's environment, entry by entry, as bytes.
    static func current() -> ChildEnvironment {
        var entries: [[UInt8]] = []
        let table: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        if var entry = table {
            while let text = entry.pointee {
                let length = strlen(text)
                entries.append(
                    text.withMemoryRebound(to: UInt8.self, capacity: length) {
                        Array(UnsafeBufferPointer(start: $0, count: length))
                    })
                entry += 1
            }
        }
        return ChildEnvironment(inherited: entries)
    }

    /// Removes every entry named `name` (all of them: a repeated name would otherwise survive).
    mutating func remove(_ name: String) {
        let prefix = Array(name.utf8) + [UInt8(ascii: "=")]
        entries.removeAll { $0.starts(with: prefix) || $0.elementsEqual(name.utf8) }
    }

    /// Sets `name` to `value`, replacing every inherited entry of that name.
    mutating func set(_ name: String, _ value: String) throws(ExecError) {
        guard !value.utf8.contains(0) else { throw .notEnvironmentSafe(name: name) }
        remove(name)
        entries.append(Array(name.utf8) + [UInt8(ascii: "=")] + Array(value.utf8))
    }

    /// The value of the first entry named `name`, as bytes.
    func value(of name: String) -> [UInt8]? {
        let prefix = Array(name.utf8) + [UInt8(ascii: "=")]
        return entries.first { $0.starts(with: prefix) }.map { Array($0.dropFirst(prefix.count)) }
    }

    /// The environment of `exec`: the credentials as the SDKs read them from the environment.
    static func withKeys(
        _ credentials: Credentials, profile: String, region: String?, inherited: ChildEnvironment
    ) throws(ExecError) -> ChildEnvironment {
        var environment = inherited
        for name in profileVariables + ["AWS_SECURITY_TOKEN"] { environment.remove(name) }
        try environment.set("AWS_ACCESS_KEY_ID", credentials.accessKeyId)
        try environment.set("AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey)
        if let token = credentials.sessionToken {
            try environment.set("AWS_SESSION_TOKEN", token)
        } else {
            environment.remove("AWS_SESSION_TOKEN")
        }
        if let expiration = credentials.expiration {
            try environment.set("AWS_CREDENTIAL_EXPIRATION", Timestamp.format(expiration))
        } else {
            environment.remove("AWS_CREDENTIAL_EXPIRATION")
        }
        try environment.finish(profile: profile, region: region)
        return environment
    }

    /// The environment of `exec --server`: no keys, the loopback endpoint and its token instead.
    static func withEndpoint(
        uri: String, token: String, profile: String, region: String?, inherited: ChildEnvironment
    ) throws(ExecError) -> ChildEnvironment {
        var environment = inherited
        for name in outranksContainer { environment.remove(name) }
        try environment.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri)
        try environment.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", token)
        try environment.finish(profile: profile, region: region)
        return environment
    }

    private mutating func finish(profile: String, region: String?) throws(ExecError) {
        try set("AWS_ELEVATE_PROFILE", profile)
        if let region {
            try set("AWS_REGION", region)
            try set("AWS_DEFAULT_REGION", region)
        }
    }

    /// Calls `body` with a NULL-terminated `envp` array over these entries.
    func withEnvp<R>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) throws -> R) rethrows -> R {
        try withCStrings(entries, body)
    }
}

/// Calls `body` with a NULL-terminated array of C strings holding `items` (each must be free of NUL bytes).
func withCStrings<R>(
    _ items: [[UInt8]], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) throws -> R
) rethrows -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = items.map { bytes in
        let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        for (index, byte) in bytes.enumerated() { pointer[index] = CChar(bitPattern: byte) }
        pointer[bytes.count] = 0
        return pointer
    }
    pointers.append(nil)
    defer { for pointer in pointers { pointer?.deallocate() } }
    return try pointers.withUnsafeBufferPointer { try body($0.baseAddress!) }
}
