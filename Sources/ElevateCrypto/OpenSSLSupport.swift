import CCrypto

/// Drains this thread's OpenSSL error queue into one line, so a later call does not report a stale error.
func drainOpenSSLErrors() -> String {
    var messages: [String] = []
    while true {
        let code = ccrypto_err_get_error()
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ccrypto_err_error_string_n(code, &buffer, buffer.count)
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        messages.append(String(decoding: bytes, as: UTF8.self))
    }
    return messages.isEmpty ? "no detail from openssl" : messages.joined(separator: "; ")
}

/// Loads libcrypto on first use (once per process, thread-safe); every public entry point calls this first.
///
/// - Throws: ``CryptoError/libraryUnavailable(detail:)`` when libcrypto cannot be loaded.
func requireLibrary() throws(CryptoError) {
    if let failure = ccrypto_load() { throw .libraryUnavailable(detail: String(cString: failure)) }
}

/// Which of OpenSSL's two routes to its SHA-256 and AES-GCM code a call takes. Both run the same implementation;
/// they differ in start-up cost only.
enum Implementation: Sendable, CaseIterable {
    /// OpenSSL's implementation called without the provider layer (its low-level SHA-256 functions and a legacy
    /// `EVP_CIPHER`). Used whenever the library has it: a cache hit then skips the provider set-up (~0.8 ms).
    case direct
    /// A method fetched from the default provider; serves when libcrypto was built without the direct entry points.
    case provider

    /// `.direct` when this libcrypto has it, else `.provider` (also when it cannot be loaded: the call then
    /// reports that).
    static func preferred() -> Implementation {
        ccrypto_direct_available() != 0 ? .direct : .provider
    }
}

/// Whether libcrypto is mapped into this process yet (it is loaded on the first cryptographic call).
public var isCryptoLibraryLoaded: Bool { ccrypto_library_is_mapped() != 0 }

func openSSLFailure(_ operation: String) -> CryptoError {
    .openSSL(operation: operation, detail: drainOpenSSLErrors())
}

/// OpenSSL's `int` length parameters cap a single call; larger inputs are fed in slices of this size.
let maximumChunk = 1 << 30

/// Calls `body` with a pointer that is never null, even for an empty array: some OpenSSL entry points treat a null
/// pointer as "not supplied" rather than "empty".
func withNonNullBytes<R, E: Error>(
    _ bytes: [UInt8],
    _ body: (UnsafePointer<UInt8>, Int) throws(E) -> R
) throws(E) -> R {
    if bytes.isEmpty {
        let placeholder: UInt8 = 0
        return try withUnsafePointer(to: placeholder) { pointer throws(E) in try body(pointer, 0) }
    }
    let result: Result<R, E> = bytes.withUnsafeBufferPointer { buffer in
        do throws(E) {
            return .success(try body(buffer.baseAddress!, buffer.count))
        } catch {
            return .failure(error)
        }
    }
    return try result.get()
}
