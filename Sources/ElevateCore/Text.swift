/// `text` without leading and trailing white space (Unicode `White_Space`, which includes line breaks).
///
/// Settings, tokens and timestamps pass through here on every run, so it looks at scalars, not `Character`s:
/// grapheme breaking would cost more than the rest of a cache hit's string handling together.
public func trimmingWhitespace(_ text: String) -> String {
    func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII ? scalar == " " || (0x09...0x0D).contains(scalar.value) : scalar.properties.isWhitespace
    }
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
    guard let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
    if first == scalars.startIndex, scalars.index(after: last) == scalars.endIndex { return text }
    return String(scalars[first...last])
}

/// `strings.joined(separator: separator)`, compiled for `[String]`: the standard library's version is generic
/// code whose first call in a process looks up its associated types at run time (~170k instructions), which every
/// `credential-process` run would pay.
public func join(_ strings: [String], separator: String) -> String {
    var result = ""
    for index in strings.indices {
        if index > strings.startIndex { result += separator }
        result += strings[index]
    }
    return result
}
