private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// Encodes bytes as lowercase hexadecimal, two characters per byte.
///
/// - Parameter bytes: The bytes to encode.
/// - Returns: A string of `2 * bytes.count` characters from `0-9a-f`.
public func lowercaseHex(_ bytes: some Sequence<UInt8>) -> String {
    lowercaseHex(Array(bytes))
}

/// ``lowercaseHex(_:)-(Sequence<UInt8>)`` compiled for arrays: the generic version's first call in a process looks
/// up associated types at run time (~170k instructions), and every cache key is hexadecimal.
public func lowercaseHex(_ bytes: [UInt8]) -> String {
    String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
        for (index, byte) in bytes.enumerated() {
            buffer[2 * index] = hexDigits[Int(byte >> 4)]
            buffer[2 * index + 1] = hexDigits[Int(byte & 0x0f)]
        }
        return bytes.count * 2
    }
}
