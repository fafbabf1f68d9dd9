/// A value of an AMQP 0-9-1 field table (queue arguments, headers), typed as py-amqp writes the
/// Python value oslo puts there (`amqp.serialization._write_item`).
public enum AMQPFieldValue: Equatable, Sendable {
    /// `S` long string (UTF-8).
    case string(String)
    /// A Python `int`: py-amqp writes `I` (signed 32-bit) for -2147483647...2147483647 and `L`
    /// (signed 64-bit) otherwise; `tableType` says which.
    case integer(Int64)
    /// `t`.
    case bool(Bool)

    /// The field-table type octet py-amqp uses for this value.
    public var tableType: Character {
        switch self {
        case .string: "S"
        case .bool: "t"
        case .integer(let value): (-2_147_483_647...2_147_483_647).contains(value) ? "I" : "L"
        }
    }
}
