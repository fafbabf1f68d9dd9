/// An element this library writes into a document, rendered in the style of the surrounding
/// source: single-quoted attributes, and indented like its siblings when the source is indented.
struct XMLFragment: Equatable, Sendable {
    var name: String
    /// Attribute names and values; values are written as given, so they must need no escaping.
    var attributes: [(name: String, value: String)]
    var children: [XMLFragment]

    init(_ name: String, attributes: [(name: String, value: String)] = [], children: [XMLFragment] = []) {
        self.name = name
        self.attributes = attributes
        self.children = children
    }

    /// `<dirty-ring state='on' size='N'/>`.
    static func dirtyRing(_ size: RingSize) -> XMLFragment {
        XMLFragment("dirty-ring", attributes: [("state", "on"), ("size", size.description)])
    }

    /// The element as text. With a `layout`, children go on their own lines, each level one
    /// `layout.unit` deeper than `layout.indent`, the indent of this element's line.
    func render(_ layout: XMLLayout?) -> String {
        let attributeText = attributes.map { " \($0.name)='\($0.value)'" }.joined()
        guard !children.isEmpty else { return "<\(name)\(attributeText)/>" }
        var text = "<\(name)\(attributeText)>"
        for child in children {
            if let layout {
                text += "\n" + layout.indent + layout.unit + child.render(layout.nested)
            } else {
                text += child.render(nil)
            }
        }
        if let layout {
            text += "\n" + layout.indent
        }
        return text + "</\(name)>"
    }

    static func == (lhs: XMLFragment, rhs: XMLFragment) -> Bool {
        lhs.name == rhs.name && lhs.children == rhs.children
            && lhs.attributes.map(\.name) == rhs.attributes.map(\.name)
            && lhs.attributes.map(\.value) == rhs.attributes.map(\.value)
    }
}

/// The indentation of a line in an indented document.
struct XMLLayout: Equatable, Sendable {
    /// The whitespace that starts the line.
    var indent: String
    /// One level of indentation in this document.
    var unit: String

    /// The layout one level deeper.
    var nested: XMLLayout { XMLLayout(indent: indent + unit, unit: unit) }
}
