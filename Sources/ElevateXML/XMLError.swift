/// Why a document was not parsed. Messages never quote the document's text.
public enum XMLError: Error, Equatable, CustomStringConvertible {
    /// libxml2 could not be loaded (not installed, or missing functions).
    case libraryUnavailable(reason: String)
    /// The document is larger than ``XMLLimits/maxBytes``.
    case tooLarge(limit: Int)
    /// Elements nest deeper than ``XMLLimits/maxDepth``.
    case tooDeep(limit: Int)
    /// The document has more elements than ``XMLLimits/maxElements``.
    case tooManyElements(limit: Int)
    /// The document has a document type declaration. DTDs are refused outright, so no entity is
    /// ever declared, expanded or fetched.
    case doctypeNotAllowed
    /// The document is not well-formed XML (or not UTF-8/UTF-16 as declared); `line` is where the
    /// parser stopped, when known.
    case malformed(line: Int?)

    public var description: String {
        switch self {
        case let .libraryUnavailable(reason):
            return "libxml2 is unavailable: \(reason)"
        case let .tooLarge(limit):
            return "XML document exceeds \(limit) bytes"
        case let .tooDeep(limit):
            return "XML elements nest deeper than \(limit) levels"
        case let .tooManyElements(limit):
            return "XML document has more than \(limit) elements"
        case .doctypeNotAllowed:
            return "XML document has a document type declaration, which is refused"
        case let .malformed(line):
            return line.map { "malformed XML near line \($0)" } ?? "malformed XML"
        }
    }
}
