/// An element of a parsed document: immutable, with its text and child elements.
public struct XMLElement: Sendable, Equatable {
    /// The name without any prefix, such as `AccessKeyId`.
    public let localName: String
    /// The namespace URI, such as `https://sts.amazonaws.com/doc/2011-06-15/`, or nil for none.
    public let namespaceURI: String?
    /// The element's own character data (text and CDATA, entity references `&amp;` and the like
    /// resolved), concatenated in document order, exactly as written: not trimmed. Text inside child
    /// elements is not included.
    public let text: String
    /// The child elements in document order.
    public let children: [XMLElement]

    /// Creates an element.
    public init(localName: String, namespaceURI: String? = nil, text: String = "", children: [XMLElement] = []) {
        self.localName = localName
        self.namespaceURI = namespaceURI
        self.text = text
        self.children = children
    }

    /// The first child element with local name `name`, if any.
    public func child(_ name: String) -> XMLElement? {
        children.first { $0.localName == name }
    }

    /// Every child element with local name `name`, in order.
    public func children(named name: String) -> [XMLElement] {
        children.filter { $0.localName == name }
    }

    /// The element reached by following first children with these local names in turn, starting
    /// below this element: `response.path("AssumeRoleResult", "Credentials", "AccessKeyId")`.
    /// With no names, this element.
    public func path(_ names: String...) -> XMLElement? {
        var element = self
        for name in names {
            guard let next = element.child(name) else { return nil }
            element = next
        }
        return element
    }
}

extension XMLElement: CustomStringConvertible, CustomReflectable {
    /// The local name and the number of children and text bytes: never the text, which may be a secret.
    public var description: String {
        "<\(localName)> (\(children.count) children, \(text.utf8.count) text bytes)"
    }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: ["localName": localName, "children": children, "textBytes": text.utf8.count],
            displayStyle: .struct
        )
    }
}
