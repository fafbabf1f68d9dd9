/// A parsed XML document that keeps its source, so that edits can splice it rather than
/// re-serialize it.
struct XMLDocument: Sendable {
    /// The UTF-8 source.
    let source: [UInt8]
    /// Every element in document order; the root is first.
    let elements: [XMLElement]

    /// The deepest element nesting accepted.
    static let maximumDepth = 256

    /// Parses `text`, throwing `malformedXML` with the byte offset of the first fault.
    init(parsing text: String) throws(DirtyRingError) {
        var parser = XMLParser(source: Array(text.utf8))
        elements = try parser.parse()
        source = parser.source
    }

    /// The document element.
    var root: XMLElement? { elements.first }

    /// The element at `position` in `elements`, if there is one.
    func element(at position: Int) -> XMLElement? {
        elements.indices.contains(position) ? elements[position] : nil
    }

    /// The child elements of `element` named `name`, in order.
    func children(of element: XMLElement, named name: String) -> [XMLElement] {
        element.children.compactMap(self.element(at:)).filter { $0.name == name }
    }

    /// The source text in `range`.
    func text(_ range: Range<Int>) -> String {
        String(decoding: source[range.clamped(to: source.indices)], as: UTF8.self)
    }

    /// The whitespace that starts the line `offset` is on, or nil when something other than
    /// spaces and tabs precedes `offset` on that line.
    func lineIndent(before offset: Int) -> (indent: String, lineStart: Int)? {
        var position = min(offset, source.count)
        while position > 0 {
            let byte = source[position - 1]
            if byte == UInt8(ascii: "\n") {
                return (text(position..<offset), position - 1)
            }
            guard byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") else { return nil }
            position -= 1
        }
        return nil
    }

    /// The text of `edits` applied to the source; edits must not overlap.
    func applying(_ edits: [XMLEdit]) throws(DirtyRingError) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(source.count + 256)
        var cursor = 0
        for edit in edits.sorted(by: { $0.range.lowerBound < $1.range.lowerBound }) {
            guard edit.range.lowerBound >= cursor, edit.range.upperBound <= source.count else {
                throw DirtyRingError(kind: .internal, message: "overlapping XML edits at byte \(edit.range.lowerBound)")
            }
            output.append(contentsOf: source[cursor..<edit.range.lowerBound])
            output.append(contentsOf: edit.replacement.utf8)
            cursor = edit.range.upperBound
        }
        output.append(contentsOf: source[cursor...])
        return String(decoding: output, as: UTF8.self)
    }
}

/// The replacement of one range of a document's source.
struct XMLEdit: Equatable, Sendable {
    var range: Range<Int>
    var replacement: String
}
