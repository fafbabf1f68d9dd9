/// An element of a parsed document, located by byte offsets into the document's source.
struct XMLElement: Sendable {
    /// The qualified name, prefix included (`nova:instance`).
    var name: String
    /// The attributes in source order, values with references resolved.
    var attributes: [XMLAttribute]
    /// From the `<` of the start tag to just after the `>` of the end tag.
    var range: Range<Int>
    /// The start tag, or the whole self-closing tag.
    var startTag: Range<Int>
    /// Between the start and end tags; nil for a self-closing tag.
    var content: Range<Int>?
    /// The positions of the child elements in the document's element list.
    var children: [Int]

    /// The value of the attribute `name`, if present.
    func attribute(_ name: String) -> String? {
        attributes.first { $0.name == name }?.value
    }
}

/// One `name='value'` pair of a start tag.
struct XMLAttribute: Equatable, Sendable {
    var name: String
    var value: String
}
