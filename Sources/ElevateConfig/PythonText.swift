// Python's string rules that configparser and botocore rely on, on Unicode scalars (Python indexes code points,
// not grapheme clusters, so Swift's `Character` view would give different answers).

enum PythonText {
    /// `str.isspace()`, which is also what `\s` matches in a `str` regular expression.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            true
        default:
            false
        }
    }

    /// The part of `scalars` that `str.strip()` keeps.
    static func strippedBounds(_ scalars: ArraySlice<Unicode.Scalar>) -> Range<Int> {
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, isSpace(scalars[start]) { start += 1 }
        while end > start, isSpace(scalars[end - 1]) { end -= 1 }
        return start..<end
    }

    /// `str.strip()`.
    static func strip(_ scalars: some Collection<Unicode.Scalar>) -> String {
        rstrip(scalars.drop(while: isSpace))
    }

    /// `str.rstrip()`.
    static func rstrip(_ scalars: some Collection<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        let array = Array(scalars)
        var end = array.endIndex
        while end > array.startIndex, isSpace(array[end - 1]) { end -= 1 }
        view.append(contentsOf: array[..<end])
        return String(view)
    }

    /// `str.splitlines()`: every line boundary Python knows, not only `\n`.
    static func splitLines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var pendingCR = false
        for scalar in text.unicodeScalars {
            if pendingCR {
                pendingCR = false
                if scalar == "\n" { continue }
            }
            switch scalar.value {
            case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029:
                lines.append(String(current))
                current = String.UnicodeScalarView()
                pendingCR = scalar == "\r"
            default:
                current.append(scalar)
            }
        }
        if !current.isEmpty { lines.append(String(current)) }
        return lines
    }

    /// `str.lower()`: the full Unicode lower-case mapping, with Greek capital sigma becoming final sigma at the end
    /// of a word (Swift's `lowercased()` has no such context rule).
    static func lower(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            return String(decoding: text.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
        }
        let scalars = Array(text.unicodeScalars)
        var result = ""
        for (index, scalar) in scalars.enumerated() {
            if scalar == "\u{03A3}" {
                result.unicodeScalars.append(isFinalSigma(scalars, at: index) ? "\u{03C2}" : "\u{03C3}")
            } else {
                result += scalar.properties.lowercaseMapping
            }
        }
        return result
    }

    private static func isFinalSigma(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        var before = index - 1
        while before >= 0, scalars[before].properties.isCaseIgnorable { before -= 1 }
        guard before >= 0, scalars[before].properties.isCased else { return false }
        var after = index + 1
        while after < scalars.count, scalars[after].properties.isCaseIgnorable { after += 1 }
        return after == scalars.count || !scalars[after].properties.isCased
    }

    /// Compares two strings scalar by scalar, as Python does; Swift's `==` treats canonically equivalent
    /// spellings (`é` and `e` + combining acute) as equal.
    static func same(_ a: String, _ b: String) -> Bool {
        // Equal scalar sequences are exactly equal UTF-8 byte sequences.
        a.utf8.elementsEqual(b.utf8)
    }

    /// A dictionary key that tells strings apart scalar by scalar, as Python's `str` keys do (Swift's `==` treats
    /// canonically equivalent spellings as one key). ASCII text is its own key, so the usual file costs nothing;
    /// other text becomes U+FFFF followed by its scalar values in hex, which no ASCII key can equal.
    static func exactKey(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text }
        return "\u{FFFF}" + text.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " ")
    }

    /// `str.startswith(prefix)` on code points.
    static func hasPrefix(_ text: String, _ prefix: String) -> Bool {
        text.unicodeScalars.starts(with: prefix.unicodeScalars)
    }
}
