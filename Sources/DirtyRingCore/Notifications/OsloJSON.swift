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
        var output = ""
        write(to: &output)
        return output
    }

    /// The text `json.dumps(value)` produces, appended to `output`.
    public func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .integer(let value): output += String(value)
        case .number(let value): output += PythonFloat.jsonText(value)
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let items):
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += ", " }
                item.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, member) in Self.pythonDict(members).enumerated() {
                if index > 0 { output += ", " }
                Self.writeString(member.0, to: &output)
                output += ": "
                member.1.write(to: &output)
            }
            output += "}"
        }
    }

    /// Members as a Python `dict` built from them in order holds them.
    static func pythonDict(_ members: [(String, OsloJSON)]) -> [(String, OsloJSON)] {
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

    private static let hexDigits: [Character] = Array("0123456789abcdef")

    /// A string as `json.dumps(..., ensure_ascii=True)` writes it, quotes included.
    public static func writeString(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case " "..."~": output.unicodeScalars.append(scalar)
            default:
                if scalar.value > 0xFFFF {
                    let offset = scalar.value - 0x10000
                    writeEscape(0xD800 + (offset >> 10), to: &output)
                    writeEscape(0xDC00 + (offset & 0x3FF), to: &output)
                } else {
                    writeEscape(scalar.value, to: &output)
                }
            }
        }
        output += "\""
    }

    private static func writeEscape(_ unit: UInt32, to output: inout String) {
        output += "\\u"
        for shift in stride(from: 12, through: 0, by: -4) {
            output.append(hexDigits[Int((unit >> UInt32(shift)) & 0xF)])
        }
    }
}
