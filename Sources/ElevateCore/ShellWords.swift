/// Splits text into words as Python's `shlex.split` does (POSIX mode, no comments), which botocore uses for
/// `[profile NAME]` section names and for `credential_process` command lines.
///
/// Words are separated by space, tab, CR or LF; single quotes keep everything literally; inside double quotes a
/// backslash escapes only `"` and `\`; outside quotes a backslash escapes any character. `''` is an empty word.
/// Returns `nil` for an unclosed quote or a trailing backslash, where `shlex.split` raises `ValueError`.
public func shellWords(_ text: String) -> [String]? {
    enum State: Equatable {
        case between
        case word
        case quoted(Unicode.Scalar)
        case escaped(after: EscapeOrigin)
    }
    enum EscapeOrigin: Equatable {
        case word
        case doubleQuote
    }

    func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n"
    }

    var words: [String] = []
    var word = String.UnicodeScalarView()
    // A word that held quotes exists even when empty ('' is a word); a bare empty word does not.
    var wasQuoted = false
    var state = State.between

    func finishWord() {
        if !word.isEmpty || wasQuoted { words.append(String(word)) }
        word = String.UnicodeScalarView()
        wasQuoted = false
    }

    for scalar in text.unicodeScalars {
        switch state {
        case .between, .word:
            if isSeparator(scalar) {
                if state == .word { finishWord() }
                state = .between
            } else if scalar == "'" || scalar == "\"" {
                wasQuoted = true
                state = .quoted(scalar)
            } else if scalar == "\\" {
                state = .escaped(after: .word)
            } else {
                word.append(scalar)
                state = .word
            }
        case .quoted(let quote):
            if scalar == quote {
                state = .word
            } else if quote == "\"" && scalar == "\\" {
                state = .escaped(after: .doubleQuote)
            } else {
                word.append(scalar)
            }
        case .escaped(let origin):
            if origin == .doubleQuote {
                if scalar != "\\" && scalar != "\"" { word.append("\\") }
                word.append(scalar)
                state = .quoted("\"")
            } else {
                word.append(scalar)
                state = .word
            }
        }
    }
    switch state {
    case .quoted, .escaped:
        return nil
    case .word:
        finishWord()
    case .between:
        break
    }
    return words
}
