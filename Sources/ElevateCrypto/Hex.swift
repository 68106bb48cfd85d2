private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// Encodes bytes as lowercase hexadecimal, two characters per byte.
///
/// - Parameter bytes: The bytes to encode.
/// - Returns: A string of `2 * bytes.count` characters from `0-9a-f`.
public func lowercaseHex(_ bytes: some Sequence<UInt8>) -> String {
    var characters: [UInt8] = []
    characters.reserveCapacity(bytes.underestimatedCount * 2)
    for byte in bytes {
        characters.append(hexDigits[Int(byte >> 4)])
        characters.append(hexDigits[Int(byte & 0x0f)])
    }
    return String(decoding: characters, as: UTF8.self)
}
