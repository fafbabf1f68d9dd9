/// Edits that insert and remove elements while leaving the rest of the source as it was.
extension XMLDocument {
    /// One level of indentation, taken from the root's first child; nil when the document is
    /// not indented.
    var indentUnit: String? {
        guard let root, let first = root.children.first.flatMap(element(at:)),
              let line = lineIndent(before: first.range.lowerBound), !line.indent.isEmpty
        else { return nil }
        let rootIndent = lineIndent(before: root.range.lowerBound)?.indent ?? ""
        guard line.indent.hasPrefix(rootIndent), line.indent.count > rootIndent.count else { return nil }
        return String(line.indent.dropFirst(rootIndent.count))
    }

    /// The layout of the line `element` starts, or nil when it does not start a line or the
    /// document is not indented.
    func layout(of element: XMLElement) -> XMLLayout? {
        guard let unit = indentUnit else { return nil }
        if let line = lineIndent(before: element.range.lowerBound) {
            return XMLLayout(indent: line.indent, unit: unit)
        }
        return root?.range.lowerBound == element.range.lowerBound ? XMLLayout(indent: "", unit: unit) : nil
    }

    /// Removes `element` and, when it sits alone on its line, that line.
    func removal(of element: XMLElement) -> XMLEdit {
        let start = lineIndent(before: element.range.lowerBound)?.lineStart ?? element.range.lowerBound
        return XMLEdit(range: start..<element.range.upperBound, replacement: "")
    }

    /// Replaces `element` with `fragment`, written at the element's position.
    func replacement(of element: XMLElement, with fragment: XMLFragment) -> XMLEdit {
        XMLEdit(range: element.range, replacement: fragment.render(layout(of: element)))
    }

    /// Inserts `fragment` on its own line after `sibling`.
    func insertion(of fragment: XMLFragment, after sibling: XMLElement) -> XMLEdit {
        let layout = layout(of: sibling)
        let prefix = layout.map { "\n" + $0.indent } ?? ""
        return XMLEdit(range: sibling.range.upperBound..<sibling.range.upperBound,
                       replacement: prefix + fragment.render(layout))
    }

    /// Inserts `fragment` on its own line before `sibling`.
    func insertion(of fragment: XMLFragment, before sibling: XMLElement) -> XMLEdit {
        let layout = layout(of: sibling)
        let suffix = layout.map { "\n" + $0.indent } ?? ""
        return XMLEdit(range: sibling.range.lowerBound..<sibling.range.lowerBound,
                       replacement: fragment.render(layout) + suffix)
    }

    /// Inserts `fragment` as the last child of `parent`.
    func insertion(of fragment: XMLFragment, into parent: XMLElement) -> XMLEdit {
        if let last = parent.children.last.flatMap(element(at:)) {
            return insertion(of: fragment, after: last)
        }
        let parentLayout = layout(of: parent)
        let childLayout = parentLayout?.nested
        let opening = openingTag(of: parent)
        let closing = "</\(parent.name)>"
        var body = ""
        if let content = parent.content, !text(content).allSatisfy(\.isWhitespace) {
            // Comments or text only: keep them, then add the child.
            body = text(content)
        }
        body += (childLayout.map { "\n" + $0.indent } ?? "") + fragment.render(childLayout)
            + (parentLayout.map { "\n" + $0.indent } ?? "")
        return XMLEdit(range: parent.range, replacement: opening + body + closing)
    }

    /// The start tag of `element` as an opening tag, also when it is self-closing.
    func openingTag(of element: XMLElement) -> String {
        guard element.content == nil else { return text(element.startTag) }
        let tag = text(element.startTag)
        return String(tag.dropLast(2)) + ">"
    }
}
