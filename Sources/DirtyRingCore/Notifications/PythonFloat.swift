/// Python's text for a float: `repr(x)`, which `json.dumps` uses for finite numbers.
///
/// The digits are the shortest that round-trip (as Swift's `description`); the layout is
/// CPython's `float_repr_style = 'short'`: with `x = 0.d1d2... × 10^decpt`, scientific notation
/// when `decpt <= -4` or `decpt > 16` (`1e-05`, `1.5e+16`: at least two exponent digits, no
/// `.0`), otherwise positional with at least one digit after the point (`100.0`, `0.0001`).
public enum PythonFloat {
    /// `repr(value)`: `nan`, `inf`, `-inf` for non-finite values.
    public static func repr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return finiteText(value)
    }

    /// `json.dumps(value)`: `NaN`, `Infinity`, `-Infinity` for non-finite values.
    public static func jsonText(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return finiteText(value)
    }

    /// The shortest round-trip digits of a finite value and `decpt`: `|value| = 0.digits × 10^decpt`.
    static func digits(_ value: Double) -> (digits: [UInt8], decpt: Int) {
        let text = Array(value.magnitude.description.utf8)
        var mantissa: [UInt8] = []
        var pointAt: Int?
        var exponent = 0
        var index = 0
        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: ".") {
                pointAt = mantissa.count
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                exponent = Int(String(decoding: text[(index + 1)...], as: UTF8.self)) ?? 0
                break
            } else {
                mantissa.append(byte)
            }
            index += 1
        }
        var decpt = (pointAt ?? mantissa.count) + exponent
        while let first = mantissa.first, first == UInt8(ascii: "0"), mantissa.count > 1 {
            mantissa.removeFirst()
            decpt -= 1
        }
        while let last = mantissa.last, last == UInt8(ascii: "0"), mantissa.count > 1 {
            mantissa.removeLast()
        }
        if mantissa == [UInt8(ascii: "0")] { decpt = 1 }
        return (mantissa, decpt)
    }

    static func finiteText(_ value: Double) -> String {
        let (digits, decpt) = digits(value)
        var output: [UInt8] = value.sign == .minus ? [UInt8(ascii: "-")] : []
        let zero = UInt8(ascii: "0")
        if decpt <= -4 || decpt > 16 {
            output.append(digits[0])
            if digits.count > 1 {
                output.append(UInt8(ascii: "."))
                output.append(contentsOf: digits[1...])
            }
            let exponent = decpt - 1
            output.append(UInt8(ascii: "e"))
            output.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            let magnitude = Array(String(exponent.magnitude).utf8)
            if magnitude.count < 2 { output.append(zero) }
            output.append(contentsOf: magnitude)
        } else if decpt <= 0 {
            output.append(contentsOf: [zero, UInt8(ascii: ".")])
            output.append(contentsOf: repeatElement(zero, count: -decpt))
            output.append(contentsOf: digits)
        } else if decpt < digits.count {
            output.append(contentsOf: digits[..<decpt])
            output.append(UInt8(ascii: "."))
            output.append(contentsOf: digits[decpt...])
        } else {
            output.append(contentsOf: digits)
            output.append(contentsOf: repeatElement(zero, count: decpt - digits.count))
            output.append(contentsOf: [UInt8(ascii: "."), zero])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
