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

/// `text` with every occurrence of `target` replaced by `replacement`, compared as UTF-8 bytes.
///
/// `String.replacing` compares `Character`s and so misses a match whose last byte a combining mark follows; a
/// secret removed from a server's message must go whatever follows it.
public func replacingBytes(of target: String, with replacement: String, in text: String) -> String {
    let needle = Array(target.utf8)
    let haystack = Array(text.utf8)
    guard !needle.isEmpty, haystack.count >= needle.count else { return text }
    var result: [UInt8] = []
    result.reserveCapacity(haystack.count)
    var index = 0
    var replaced = false
    while index < haystack.count {
        if haystack[index] == needle[0], haystack.count - index >= needle.count,
            haystack[index..<index + needle.count].elementsEqual(needle)
        {
            result.append(contentsOf: replacement.utf8)
            index += needle.count
            replaced = true
        } else {
            result.append(haystack[index])
            index += 1
        }
    }
    // Cutting a multi-byte character leaves invalid UTF-8 at the edges, which decoding turns into U+FFFD.
    return replaced ? String(decoding: result, as: UTF8.self) : text
}
