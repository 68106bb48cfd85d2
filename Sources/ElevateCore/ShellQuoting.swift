/// `value` in POSIX single quotes, for text that bash or zsh evaluates or that a user pastes into one; `nil` when
/// it holds a NUL byte, which no shell variable or argument can carry.
///
/// Built from UTF-8 bytes: inside single quotes every byte but `'` (0x27) is literal, and each 0x27 becomes `'\''`
/// (close, escaped quote, reopen). Working on `Character`s would miss a quote that a combining mark, a zero-width
/// joiner or a variation selector follows, since the pair is one `Character` that is not equal to `'`.
public func shellQuote(_ value: String) -> String? {
    var bytes: [UInt8] = [0x27]
    bytes.reserveCapacity(value.utf8.count + 2)
    for byte in value.utf8 {
        switch byte {
        case 0: return nil
        case 0x27: bytes.append(contentsOf: [0x27, 0x5C, 0x27, 0x27])
        default: bytes.append(byte)
        }
    }
    bytes.append(0x27)
    // Only ASCII bytes were added, at ASCII positions: the result is valid UTF-8 as the input was.
    return String(decoding: bytes, as: UTF8.self)
}
