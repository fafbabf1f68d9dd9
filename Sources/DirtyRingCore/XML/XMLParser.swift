/// A non-validating XML 1.0 parser for the documents libvirt and Nova exchange: elements,
/// attributes, text, comments, CDATA sections, processing instructions, the predefined entities
/// and character references. Document type declarations are refused.
///
/// It keeps no recursion, so any input is handled in bounded stack space.
struct XMLParser {
    let source: [UInt8]
    private var position = 0
    private var elements: [XMLElement] = []
    /// The positions in `elements` of the elements opened and not yet closed.
    private var open: [Int] = []

    init(source: [UInt8]) {
        self.source = source
    }

    /// The elements of the document in order, the root first.
    mutating func parse() throws(DirtyRingError) -> [XMLElement] {
        if let bad = source.firstIndex(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) {
            throw fault("control character 0x\(String(source[bad], radix: 16)) is not allowed", at: bad)
        }
        if hasPrefix(Self.byteOrderMark) {
            position = Self.byteOrderMark.count
        }
        while position < source.count {
            if byte(at: position) == UInt8(ascii: "<") {
                try parseMarkup()
            } else {
                try parseText()
            }
        }
        if let last = open.last, let element = elements.indices.contains(last) ? elements[last] : nil {
            throw fault("element <\(element.name)> opened at byte \(element.range.lowerBound) is not closed", at: position)
        }
        guard !elements.isEmpty else {
            throw fault("the document has no root element", at: position)
        }
        return elements
    }

    // MARK: Markup

    private mutating func parseMarkup() throws(DirtyRingError) {
        let start = position
        if hasPrefix("<?") {
            try skipProcessingInstruction()
        } else if hasPrefix("<!--") {
            try skip(past: "-->", from: start + 4, what: "comment")
        } else if hasPrefix("<![CDATA[") {
            guard !open.isEmpty else { throw fault("CDATA section outside the root element", at: start) }
            try skip(past: "]]>", from: start + 9, what: "CDATA section")
        } else if hasPrefix("<!") {
            throw fault("document type declarations are not supported", at: start)
        } else if hasPrefix("</") {
            try parseEndTag()
        } else {
            try parseStartTag()
        }
    }

    private mutating func skipProcessingInstruction() throws(DirtyRingError) {
        let start = position
        position += 2
        let target = try parseName(what: "processing instruction target")
        let documentStart = hasPrefix(Self.byteOrderMark, at: 0) ? Self.byteOrderMark.count : 0
        if target.lowercased() == "xml", start != documentStart {
            throw fault("the XML declaration must be at the start of the document", at: start)
        }
        try skip(past: "?>", from: position, what: "processing instruction")
    }

    private mutating func parseStartTag() throws(DirtyRingError) {
        let start = position
        position += 1
        let name = try parseName(what: "element name")
        var attributes: [XMLAttribute] = []
        while true {
            let hadSpace = skipWhitespace()
            guard let current = byte(at: position) else {
                throw fault("start tag <\(name)> is not closed", at: position)
            }
            if current == UInt8(ascii: ">") {
                position += 1
                try openElement(name, attributes, start: start, selfClosing: false)
                return
            }
            if current == UInt8(ascii: "/") {
                guard byte(at: position + 1) == UInt8(ascii: ">") else {
                    throw fault("expected '>' after '/' in <\(name)>", at: position + 1)
                }
                position += 2
                try openElement(name, attributes, start: start, selfClosing: true)
                return
            }
            guard hadSpace else { throw fault("expected whitespace before an attribute in <\(name)>", at: position) }
            let attribute = try parseAttribute(in: name)
            if attributes.contains(where: { $0.name == attribute.name }) {
                throw fault("duplicate attribute '\(attribute.name)' in <\(name)>", at: position)
            }
            attributes.append(attribute)
        }
    }

    private mutating func parseAttribute(in element: String) throws(DirtyRingError) -> XMLAttribute {
        let name = try parseName(what: "attribute name")
        skipWhitespace()
        guard byte(at: position) == UInt8(ascii: "=") else {
            throw fault("expected '=' after attribute '\(name)' in <\(element)>", at: position)
        }
        position += 1
        skipWhitespace()
        guard let quote = byte(at: position), quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else {
            throw fault("attribute '\(name)' in <\(element)> needs a quoted value", at: position)
        }
        let valueStart = position + 1
        guard let valueEnd = source[valueStart...].firstIndex(of: quote) else {
            throw fault("attribute '\(name)' in <\(element)> has an unterminated value", at: position)
        }
        if let bracket = source[valueStart..<valueEnd].firstIndex(of: UInt8(ascii: "<")) {
            throw fault("'<' is not allowed in an attribute value", at: bracket)
        }
        let value = try resolveReferences(valueStart..<valueEnd)
        position = valueEnd + 1
        return XMLAttribute(name: name, value: value)
    }

    private mutating func openElement(
        _ name: String, _ attributes: [XMLAttribute], start: Int, selfClosing: Bool
    ) throws(DirtyRingError) {
        if open.isEmpty, !elements.isEmpty {
            throw fault("a second root element <\(name)> follows the first", at: start)
        }
        guard open.count < XMLDocument.maximumDepth else {
            throw fault("elements are nested deeper than \(XMLDocument.maximumDepth) levels", at: start)
        }
        let index = elements.count
        if let parent = open.last, elements.indices.contains(parent) {
            elements[parent].children.append(index)
        }
        elements.append(XMLElement(
            name: name, attributes: attributes, range: start..<position, startTag: start..<position,
            content: selfClosing ? nil : position..<position, children: []))
        if !selfClosing {
            open.append(index)
        }
    }

    private mutating func parseEndTag() throws(DirtyRingError) {
        let start = position
        position += 2
        let name = try parseName(what: "element name")
        skipWhitespace()
        guard byte(at: position) == UInt8(ascii: ">") else {
            throw fault("end tag </\(name)> is not closed", at: position)
        }
        position += 1
        guard let index = open.popLast(), elements.indices.contains(index) else {
            throw fault("end tag </\(name)> has no matching start tag", at: start)
        }
        guard elements[index].name == name else {
            throw fault("end tag </\(name)> does not match <\(elements[index].name)>", at: start)
        }
        elements[index].range = elements[index].range.lowerBound..<position
        elements[index].content = elements[index].startTag.upperBound..<start
    }

    // MARK: Text

    private mutating func parseText() throws(DirtyRingError) {
        let start = position
        let end = source[start...].firstIndex(of: UInt8(ascii: "<")) ?? source.count
        position = end
        if open.isEmpty {
            if let stray = source[start..<end].firstIndex(where: { !Self.isWhitespace($0) }) {
                throw fault("text outside the root element", at: stray)
            }
        } else {
            _ = try resolveReferences(start..<end)
        }
    }

    /// The text of `range` with entity and character references replaced.
    private func resolveReferences(_ range: Range<Int>) throws(DirtyRingError) -> String {
        guard source[range].contains(UInt8(ascii: "&")) else {
            return String(decoding: source[range], as: UTF8.self)
        }
        var scalars = String.UnicodeScalarView()
        var segmentStart = range.lowerBound
        var cursor = range.lowerBound
        while cursor < range.upperBound {
            guard source[cursor] == UInt8(ascii: "&") else {
                cursor += 1
                continue
            }
            scalars.append(contentsOf: String(decoding: source[segmentStart..<cursor], as: UTF8.self).unicodeScalars)
            let limit = min(range.upperBound, cursor + 12)
            guard let semicolon = source[cursor..<limit].firstIndex(of: UInt8(ascii: ";")) else {
                throw fault("'&' does not start a valid reference", at: cursor)
            }
            let reference = String(decoding: source[(cursor + 1)..<semicolon], as: UTF8.self)
            guard let scalar = Self.resolve(reference) else {
                throw fault("unknown or invalid reference '&\(reference);'", at: cursor)
            }
            scalars.append(scalar)
            cursor = semicolon + 1
            segmentStart = cursor
        }
        scalars.append(contentsOf: String(decoding: source[segmentStart..<range.upperBound], as: UTF8.self).unicodeScalars)
        return String(scalars)
    }

    /// The character a reference body (between `&` and `;`) stands for.
    private static func resolve(_ reference: String) -> Unicode.Scalar? {
        switch reference {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos": return "'"
        default: break
        }
        var digits = Substring(reference)
        guard digits.first == "#" else { return nil }
        digits = digits.dropFirst()
        var radix: UInt32 = 10
        if digits.first == "x" {
            radix = 16
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.count <= 8, digits.allSatisfy(\.isHexDigit),
              let code = UInt32(digits, radix: Int(radix)),
              code == 0x9 || code == 0xA || code == 0xD || (code >= 0x20 && code != 0xFFFE && code != 0xFFFF)
        else { return nil }
        return Unicode.Scalar(code)
    }

    // MARK: Lexing

    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte >= 0x80
    }

    private static func isName(_ byte: UInt8) -> Bool {
        isNameStart(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }

    private func byte(at offset: Int) -> UInt8? {
        source.indices.contains(offset) ? source[offset] : nil
    }

    private func hasPrefix(_ prefix: String, at offset: Int? = nil) -> Bool {
        hasPrefix(Array(prefix.utf8), at: offset)
    }

    private func hasPrefix(_ prefix: [UInt8], at offset: Int? = nil) -> Bool {
        let start = offset ?? position
        guard start >= 0, start <= source.count, source.count - start >= prefix.count else { return false }
        return source[start..<(start + prefix.count)].elementsEqual(prefix)
    }

    @discardableResult
    private mutating func skipWhitespace() -> Bool {
        let start = position
        while let current = byte(at: position), Self.isWhitespace(current) {
            position += 1
        }
        return position > start
    }

    private mutating func parseName(what: String) throws(DirtyRingError) -> String {
        let start = position
        guard let first = byte(at: position), Self.isNameStart(first) else {
            throw fault("expected an \(what)", at: position)
        }
        while let current = byte(at: position), Self.isName(current) {
            position += 1
        }
        return String(decoding: source[start..<position], as: UTF8.self)
    }

    /// Moves past the first `terminator` at or after `offset`.
    private mutating func skip(past terminator: String, from offset: Int, what: String) throws(DirtyRingError) {
        let pattern = Array(terminator.utf8)
        var cursor = offset
        while cursor < source.count {
            if hasPrefix(pattern, at: cursor) {
                position = cursor + pattern.count
                return
            }
            cursor += 1
        }
        throw fault("\(what) is not closed", at: position)
    }

    private func fault(_ problem: String, at offset: Int) -> DirtyRingError {
        DirtyRingError(kind: .malformedXML, message: "malformed XML at byte \(offset): \(problem)")
    }
}
