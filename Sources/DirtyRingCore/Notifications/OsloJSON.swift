/// A JSON value whose objects keep their keys in insertion order, serialized byte for byte as
/// `oslo_serialization.jsonutils.dumps` (Python's `json.dumps` defaults) writes it.
///
/// Python's conventions: `", "` between items and `": "` after keys, `ensure_ascii` (everything
/// outside `' '...'~'` escaped as `\uXXXX` in lower-case hex, surrogate pairs beyond the BMP),
/// floats as `repr(float)` (see `PythonFloat`), `NaN`/`Infinity`/`-Infinity` for non-finite
/// numbers, and objects in insertion order (a Python `dict`: a repeated key keeps its first
/// position and takes its last value).
public enum OsloJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([OsloJSON])
    case object([(String, OsloJSON)])

    public static func == (lhs: OsloJSON, rhs: OsloJSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.integer(let a), .integer(let b)): a == b
        case (.number(let a), .number(let b)): a.bitPattern == b.bitPattern || a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// The value of `key` in an object (the last one written, as a Python `dict` keeps it).
    public subscript(key: String) -> OsloJSON? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.0 == key }?.1
    }

    /// The text `json.dumps(value)` produces.
    public var serialized: String {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// The text `json.dumps(value)` produces (pure ASCII), appended to `output`.
    public func write(to output: inout [UInt8]) {
        switch self {
        case .null: output += "null".utf8
        case .bool(let value): output += (value ? "true" : "false").utf8
        case .integer(let value): output += String(value).utf8
        case .number(let value): output += PythonFloat.jsonText(value).utf8
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { output += ", ".utf8 }
                item.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, member) in Self.pythonDict(members).enumerated() {
                if index > 0 { output += ", ".utf8 }
                Self.writeString(member.0, to: &output)
                output += ": ".utf8
                member.1.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Members as a Python `dict` built from them in order holds them.
    static func pythonDict(_ members: [(String, OsloJSON)]) -> [(String, OsloJSON)] {
        // Small objects (all of ours): no repeated key is the rule, checked without hashing.
        if members.count <= 16 {
            var repeated = false
            for index in members.indices.dropFirst() where !repeated {
                repeated = members[..<index].contains { $0.0 == members[index].0 }
            }
            if !repeated { return members }
        }
        var position: [String: Int] = [:]
        var result: [(String, OsloJSON)] = []
        result.reserveCapacity(members.count)
        for member in members {
            if let index = position[member.0] {
                result[index].1 = member.1
            } else {
                position[member.0] = result.count
                result.append(member)
            }
        }
        return result
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    private static let backslash = UInt8(ascii: "\\")

    /// A string as `json.dumps(..., ensure_ascii=True)` writes it, quotes included.
    public static func writeString(_ value: String, to output: inout [UInt8]) {
        var utf8 = value
        utf8.withUTF8 { writeString(utf8: $0, to: &output) }
    }

    /// The string whose valid UTF-8 is `bytes`, as `json.dumps(..., ensure_ascii=True)` writes
    /// it, quotes included.
    public static func writeString(utf8 bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var index = 0
        var run = 0
        func flush(_ end: Int) {
            if run < end { output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<end])) }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            flush(index)
            var length = 1
            switch byte {
            case UInt8(ascii: "\""): output.append(backslash); output.append(byte)
            case UInt8(ascii: "\\"): output.append(backslash); output.append(byte)
            case 0x0A: output.append(backslash); output.append(UInt8(ascii: "n"))
            case 0x0D: output.append(backslash); output.append(UInt8(ascii: "r"))
            case 0x09: output.append(backslash); output.append(UInt8(ascii: "t"))
            case 0x08: output.append(backslash); output.append(UInt8(ascii: "b"))
            case 0x0C: output.append(backslash); output.append(UInt8(ascii: "f"))
            case 0x00..<0x20, 0x7F: writeEscape(UInt32(byte), to: &output)
            default:
                // A multi-byte UTF-8 sequence (valid: it comes from a String).
                let (scalar, size) = decodeScalar(bytes, at: index)
                length = size
                if scalar > 0xFFFF {
                    let offset = scalar - 0x10000
                    writeEscape(0xD800 + (offset >> 10), to: &output)
                    writeEscape(0xDC00 + (offset & 0x3FF), to: &output)
                } else {
                    writeEscape(scalar, to: &output)
                }
            }
            index += length
            run = index
        }
        flush(index)
        output.append(UInt8(ascii: "\""))
    }

    /// The scalar whose UTF-8 sequence starts at `index`, and its length.
    private static func decodeScalar(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (UInt32, Int) {
        let lead = bytes[index]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
        guard index + length <= bytes.count else { return (0xFFFD, 1) }
        var scalar = UInt32(lead) & (length == 4 ? 0x07 : length == 3 ? 0x0F : 0x1F)
        for offset in 1..<length { scalar = scalar << 6 | (UInt32(bytes[index + offset]) & 0x3F) }
        return (scalar, length)
    }

    private static func writeEscape(_ unit: UInt32, to output: inout [UInt8]) {
        output.append(backslash)
        output.append(UInt8(ascii: "u"))
        for shift in stride(from: 12, through: 0, by: -4) {
            output.append(hexDigits[Int((unit >> UInt32(shift)) & 0xF)])
        }
    }
}
