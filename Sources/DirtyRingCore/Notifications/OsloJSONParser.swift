/// Reads JSON text into an `OsloJSON` keeping object keys in document order, as Python's
/// `json.loads` does into a `dict` (a repeated key keeps its first position, last value).
///
/// Accepts what `json.loads` accepts (including `NaN`, `Infinity`, `-Infinity`), except integers
/// beyond 64 bits (Python would keep them exact; we refuse rather than round). Never traps:
/// nesting is bounded and every failure is a `malformed_json` error.
public struct OsloJSONParser {
    public static let maximumDepth = 512

    private let bytes: [UInt8]
    private var index = 0

    private init(_ text: String) { bytes = Array(text.utf8) }

    public static func parse(_ text: String) throws(DirtyRingError) -> OsloJSON {
        var parser = OsloJSONParser(text)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw parser.failure("extra data") }
        return value
    }

    private func failure(_ what: String) -> DirtyRingError {
        DirtyRingError(kind: .malformedJSON, message: "\(what) at byte \(index)")
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        let matches = word.withUTF8Buffer { bytes[index..<index + count].elementsEqual($0) }
        if matches { index += count }
        return matches
    }

    private mutating func value(depth: Int) throws(DirtyRingError) -> OsloJSON {
        guard depth < Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth)") }
        guard index < bytes.count else { throw failure("expecting value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        default:
            if literal("null") { return .null }
            if literal("true") { return .bool(true) }
            if literal("false") { return .bool(false) }
            if literal("NaN") { return .number(.nan) }
            if literal("Infinity") { return .number(.infinity) }
            if literal("-Infinity") { return .number(-.infinity) }
            return try number()
        }
    }

    private mutating func object(depth: Int) throws(DirtyRingError) -> OsloJSON {
        index += 1
        var members: [(String, OsloJSON)] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw failure("expecting property name enclosed in double quotes")
            }
            let key = try string()
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expecting ':'") }
            index += 1
            skipSpace()
            members.append((key, try value(depth: depth + 1)))
            skipSpace()
            guard index < bytes.count else { throw failure("unterminated object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(OsloJSON.pythonDict(members))
            } else {
                throw failure("expecting ',' delimiter")
            }
        }
    }

    private mutating func array(depth: Int) throws(DirtyRingError) -> OsloJSON {
        index += 1
        var items: [OsloJSON] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            skipSpace()
            items.append(try value(depth: depth + 1))
            skipSpace()
            guard index < bytes.count else { throw failure("unterminated array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            } else {
                throw failure("expecting ',' delimiter")
            }
        }
    }

    private mutating func hex4() throws(DirtyRingError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw failure("invalid \\uXXXX escape") }
        var result: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw failure("invalid \\uXXXX escape")
            }
            result = result << 4 | digit
            index += 1
        }
        return result
    }

    private mutating func string() throws(DirtyRingError) -> String {
        index += 1
        let start = index
        // Fast path: no escape before the closing quote.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: bytes[start..<index - 1], as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw failure("invalid control character") }
            index += 1
        }
        guard index < bytes.count else { throw failure("unterminated string") }
        // Escapes: the decoded text as UTF-8, then one decoding.
        var utf8 = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw failure("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: utf8, as: UTF8.self)
            }
            if byte < 0x20 { throw failure("invalid control character") }
            index += 1
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                continue
            }
            guard index < bytes.count else { throw failure("unterminated string") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var unit = try hex4()
                if (0xD800..<0xDC00).contains(unit), bytes.count - index >= 6,
                   bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    let save = index
                    index += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        index = save
                    }
                }
                // A lone surrogate cannot live in a Swift string: U+FFFD, as UTF-8 decoding does.
                let scalar = Unicode.Scalar(unit) ?? "\u{FFFD}"
                utf8.append(contentsOf: String(scalar).utf8)
            default: throw failure("invalid \\escape")
            }
        }
    }

    private mutating func number() throws(DirtyRingError) -> OsloJSON {
        let start = index
        func digits(_ parser: inout OsloJSONParser) -> Int {
            let from = parser.index
            while parser.index < parser.bytes.count,
                  (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.index]) {
                parser.index += 1
            }
            return parser.index - from
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        let integerDigits = digits(&self)
        guard integerDigits > 0 else {
            index = start
            throw failure("expecting value")
        }
        if integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") {
            index = integerStart + 1  // Python reads "01" as 0 then fails on extra data
            throw failure("extra data")
        }
        var isFloat = false
        if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "."),
           (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index + 1]) {
            index += 1
            _ = digits(&self)
            isFloat = true
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            let save = index
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            if digits(&self) == 0 { index = save } else { isFloat = true }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isFloat {
            guard let value = Double(text) else { throw failure("invalid number") }
            return .number(value)
        }
        guard let value = Int(text) else { throw failure("integer beyond 64 bits") }
        return .integer(value)
    }
}
