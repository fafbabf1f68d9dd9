internal import CLibvirt

/// One value of a libvirt typed parameter, in Swift types.
public enum TypedValue: Equatable, Sendable {
    case int(Int32)
    case uint(UInt32)
    case llong(Int64)
    case ullong(UInt64)
    case double(Double)
    case boolean(Bool)
    case string(String)

    /// The value as a signed integer, when it is an integer that fits.
    public var integer: Int64? {
        switch self {
        case .int(let value): Int64(value)
        case .uint(let value): Int64(value)
        case .llong(let value): value
        case .ullong(let value): Int64(exactly: value)
        case .boolean(let value): value ? 1 : 0
        case .double, .string: nil
        }
    }

    /// The value as a floating-point number, when it is numeric.
    public var number: Double? {
        if case .double(let value) = self { return value }
        return integer.map(Double.init)
    }
}

/// A list of libvirt typed parameters (domain stats, job stats) keyed by field name.
public struct TypedParameters: Equatable, Sendable {
    public var values: [String: TypedValue]

    public init(_ values: [String: TypedValue] = [:]) {
        self.values = values
    }

    public subscript(_ field: String) -> TypedValue? { values[field] }

    /// The field as a signed integer; nil when absent or not an integer.
    public func integer(_ field: String) -> Int64? { values[field]?.integer }

    /// The field as a number; nil when absent or not numeric.
    public func number(_ field: String) -> Double? { values[field]?.number }

    /// Copies `count` C parameters; fields of an unknown type are skipped.
    init(pointer: virTypedParameterPtr?, count: Int32) {
        var values: [String: TypedValue] = [:]
        guard let pointer, count > 0 else {
            self.values = values
            return
        }
        for index in 0..<Int(count) {
            var parameter = pointer[index]
            let name = withUnsafeBytes(of: &parameter.field) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            let value: TypedValue?
            switch Int32(parameter.type) {
            case Int32(VIR_TYPED_PARAM_INT.rawValue): value = .int(parameter.value.i)
            case Int32(VIR_TYPED_PARAM_UINT.rawValue): value = .uint(parameter.value.ui)
            case Int32(VIR_TYPED_PARAM_LLONG.rawValue): value = .llong(Int64(parameter.value.l))
            case Int32(VIR_TYPED_PARAM_ULLONG.rawValue): value = .ullong(UInt64(parameter.value.ul))
            case Int32(VIR_TYPED_PARAM_DOUBLE.rawValue): value = .double(parameter.value.d)
            case Int32(VIR_TYPED_PARAM_BOOLEAN.rawValue): value = .boolean(parameter.value.b != 0)
            case Int32(VIR_TYPED_PARAM_STRING.rawValue):
                value = parameter.value.s.map { .string(String(cString: $0)) }
            default: value = nil
            }
            if let value { values[name] = value }
        }
        self.values = values
    }
}
