/// The `timestamp` of an oslo notification: `str(timeutils.utcnow())`, a naive UTC `datetime`
/// as Python prints it: `2026-11-28 03:18:10.887256`, and `2026-11-28 03:18:10` when the
/// microseconds are 0 (Python omits `.000000`).
public struct OsloTimestamp: Equatable, Sendable {
    /// Seconds since 1970-01-01 00:00:00 UTC.
    public var seconds: Int64
    /// 0 ... 999_999.
    public var microseconds: Int

    /// Python's `datetime` covers years 1 to 9999.
    public static let minimumSeconds: Int64 = -62_135_596_800
    public static let maximumSeconds: Int64 = 253_402_300_799

    public init(seconds: Int64, microseconds: Int) throws(DirtyRingError) {
        guard (0...999_999).contains(microseconds) else {
            throw DirtyRingError(kind: .invalidRequest, message: "microseconds \(microseconds) outside 0...999999")
        }
        guard (Self.minimumSeconds...Self.maximumSeconds).contains(seconds) else {
            throw DirtyRingError(kind: .invalidRequest, message: "time \(seconds) outside Python's datetime (years 1...9999)")
        }
        self.seconds = seconds
        self.microseconds = microseconds
    }

    /// From microseconds since the epoch (e.g. a `CLOCK_REALTIME` reading).
    public init(microsecondsSinceEpoch value: Int64) throws(DirtyRingError) {
        let (seconds, remainder) = value.quotientAndRemainder(dividingBy: 1_000_000)
        if remainder < 0 {
            try self.init(seconds: seconds - 1, microseconds: Int(remainder + 1_000_000))
        } else {
            try self.init(seconds: seconds, microseconds: Int(remainder))
        }
    }

    /// `str(datetime)`.
    public var text: String {
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = Self.civil(daysSinceEpoch: days)
        var output = Self.padded(year, 4) + "-" + Self.padded(month, 2) + "-" + Self.padded(day, 2)
        output += " " + Self.padded(secondOfDay / 3600, 2) + ":" + Self.padded(secondOfDay / 60 % 60, 2)
        output += ":" + Self.padded(secondOfDay % 60, 2)
        if microseconds != 0 { output += "." + Self.padded(Int64(microseconds), 6) }
        return output
    }

    private static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Howard Hinnant's `civil_from_days` (proleptic Gregorian).
    static func civil(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
