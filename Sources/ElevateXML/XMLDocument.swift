import CXML2

/// Bounds that a document must respect, against hostile or broken input.
public struct XMLLimits: Sendable, Equatable {
    /// The largest document, in bytes.
    public var maxBytes: Int
    /// The deepest element nesting; the root element is at depth 1.
    public var maxDepth: Int
    /// The most elements in the document.
    public var maxElements: Int

    /// Creates limits.
    public init(maxBytes: Int = 1 << 20, maxDepth: Int = 64, maxElements: Int = 10_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxElements = maxElements
    }

    /// 1 MiB, depth 64, 10 000 elements: far above any AWS query-API response.
    public static let `default` = XMLLimits()
}

/// Parses XML documents with libxml2's reader, which is loaded on the first parse only.
///
/// Documents are read as UTF-8 whatever they declare (AWS answers in UTF-8). The parser never
/// touches the network and prints nothing to stderr. It refuses any document type declaration, so
/// entities are never declared, expanded or loaded: a document whose bytes contain `<!DOCTYPE`
/// anywhere, even in a comment, is refused before libxml2 sees it.
public enum XMLDocument {
    /// Whether libxml2 is mapped into this process, read from `/proc/self/maps`. False until the
    /// first ``parse(_:limits:)`` unless something else loaded it.
    public static var isLibraryLoaded: Bool {
        cxml2_library_is_mapped() != 0
    }

    /// Parses a whole document and returns its root element. Comments and processing instructions
    /// are skipped; attributes are not kept.
    public static func parse(_ bytes: [UInt8], limits: XMLLimits = .default) throws(XMLError) -> XMLElement {
        guard bytes.count <= limits.maxBytes, bytes.count <= Int(Int32.max) else {
            throw .tooLarge(limit: limits.maxBytes)
        }
        guard !bytes.isEmpty else { throw .malformed(line: nil) }
        // libxml2 parses ahead of the reader, so a DTD would be processed (entities included)
        // before its node could be refused: keep it from libxml2 altogether.
        guard !contains(bytes, "<!DOCTYPE") else { throw .doctypeNotAllowed }
        if let reason = cxml2_load() {
            throw .libraryUnavailable(reason: String(cString: reason))
        }
        // Forcing UTF-8 keeps the byte scan above sound: no other encoding can spell the DOCTYPE.
        let options = Int32(
            CXML2_PARSE_NONET | CXML2_PARSE_NOERROR | CXML2_PARSE_NOWARNING | CXML2_PARSE_NOCDATA
                | CXML2_PARSE_IGNORE_ENC
        )
        // libxml2 reads the buffer in place while parsing: everything happens inside this closure.
        return try bytes.withUnsafeBufferPointer { (buffer) throws(XMLError) -> XMLElement in
            guard let base = buffer.baseAddress,
                  let reader = cxml2_reader_for_memory(
                      UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(buffer.count), "UTF-8", options
                  )
            else { throw .malformed(line: nil) }
            defer { cxml2_free_reader(reader) }
            var builder = TreeBuilder(limits: limits)
            return try builder.build(reader)
        }
    }

    private static func contains(_ bytes: [UInt8], _ needle: StaticString) -> Bool {
        let pattern = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard let first = pattern.first, bytes.count >= pattern.count else { return false }
        var index = 0
        let last = bytes.count - pattern.count
        while index <= last {
            if bytes[index] == first, bytes[index..<(index + pattern.count)].elementsEqual(pattern) {
                return true
            }
            index += 1
        }
        return false
    }
}

/// Builds the element tree from the reader's stream of nodes.
private struct TreeBuilder {
    struct Open {
        let localName: String
        let namespaceURI: String?
        var text = ""
        var children: [XMLElement] = []

        func close() -> XMLElement {
            XMLElement(localName: localName, namespaceURI: namespaceURI, text: text, children: children)
        }
    }

    let limits: XMLLimits
    var stack: [Open] = []
    var root: XMLElement?
    var elementCount = 0

    init(limits: XMLLimits) {
        self.limits = limits
    }

    mutating func build(_ reader: OpaquePointer) throws(XMLError) -> XMLElement {
        while true {
            let status = cxml2_read(reader)
            if status == 0 { break }
            guard status == 1 else { throw malformed(reader) }
            switch cxml2_node_type(reader) {
            case Int32(CXML2_NODE_ELEMENT):
                guard root == nil else { throw malformed(reader) }
                elementCount += 1
                guard elementCount <= limits.maxElements else { throw .tooManyElements(limit: limits.maxElements) }
                guard stack.count < limits.maxDepth else { throw .tooDeep(limit: limits.maxDepth) }
                let open = Open(
                    localName: string(cxml2_local_name(reader)) ?? "",
                    namespaceURI: string(cxml2_namespace_uri(reader))
                )
                if cxml2_is_empty_element(reader) == 1 {
                    finish(open)
                } else {
                    stack.append(open)
                }
            case Int32(CXML2_NODE_END_ELEMENT):
                guard let open = stack.popLast() else { throw malformed(reader) }
                finish(open)
            case Int32(CXML2_NODE_TEXT), Int32(CXML2_NODE_CDATA), Int32(CXML2_NODE_WHITESPACE),
                 Int32(CXML2_NODE_SIGNIFICANT_WHITESPACE):
                if !stack.isEmpty, let value = string(cxml2_value(reader)) {
                    stack[stack.count - 1].text += value
                }
            case Int32(CXML2_NODE_DOCUMENT_TYPE), Int32(CXML2_NODE_ENTITY_REFERENCE), Int32(CXML2_NODE_ENTITY):
                throw .doctypeNotAllowed
            default:
                break  // comments, processing instructions
            }
        }
        guard stack.isEmpty, let root else { throw malformed(reader) }
        return root
    }

    private mutating func finish(_ open: Open) {
        let element = open.close()
        if stack.isEmpty {
            root = element
        } else {
            stack[stack.count - 1].children.append(element)
        }
    }

    private func string(_ pointer: UnsafePointer<UInt8>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private func malformed(_ reader: OpaquePointer) -> XMLError {
        let line = Int(cxml2_line_number(reader))
        return .malformed(line: line > 0 ? line : nil)
    }
}
