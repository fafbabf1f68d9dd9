/// Numbers of a forecast as an operator reads them.
public enum ForecastText {
    /// `value` with `decimals` digits after the point, rounded to the nearest ("120.0").
    public static func fixed(_ value: Double, decimals: Int, rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero) -> String {
        var scale = 1.0
        for _ in 0..<max(decimals, 0) { scale *= 10 }
        let scaled = (value * scale).rounded(rule)
        guard let units = Int(exactly: scaled) else { return "\(value)" }
        let digits = String(units.magnitude)
        let padded = String(repeating: "0", count: max(decimals + 1 - digits.count, 0)) + digits
        let point = padded.index(padded.endIndex, offsetBy: -max(decimals, 0))
        let sign = units < 0 ? "-" : ""
        return decimals > 0 ? sign + padded[..<point] + "." + padded[point...] : sign + padded
    }

    /// A rate in MiB/s with one decimal ("62.5 MiB/s").
    public static func rate(_ megabytesPerSecond: Double) -> String {
        fixed(megabytesPerSecond, decimals: 1) + " MiB/s"
    }

    /// A dirty-rate limit in MiB/s with one decimal, rounded down so that it still converges.
    public static func limit(_ megabytesPerSecond: Double) -> String {
        fixed(megabytesPerSecond, decimals: 1, rule: .down) + " MiB/s"
    }

    /// A duration in seconds: one decimal below 10 s, whole seconds above ("2.4 s", "23 s").
    public static func seconds(_ seconds: Double) -> String {
        fixed(seconds, decimals: seconds < 9.95 ? 1 : 0) + " s"
    }

    /// A duration in whole milliseconds, or below 1 ms ("40 ms", "0.4 ms").
    public static func milliseconds(_ milliseconds: Double) -> String {
        fixed(milliseconds, decimals: milliseconds > 0 && milliseconds < 0.95 ? 1 : 0) + " ms"
    }

    /// A bound or setting: without decimals when whole ("1000", "0.001").
    public static func number(_ value: Double) -> String {
        if let whole = Int(exactly: value) { return String(whole) }
        return "\(value)"
    }
}
