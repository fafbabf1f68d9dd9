import DirtyRingCore

/// Timestamps of the oslo fixtures (`tox-data/notifications/`).
public enum FixtureTimestamp {
    /// "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) through the civil calendar.
    public static func parse(_ text: String) throws -> OsloTimestamp {
        let parts = text.split(whereSeparator: { "- :.".contains($0) }).compactMap { Int64($0) }
        guard parts.count >= 6 else { throw Malformed(text: text) }
        let (y, m, d) = (parts[0], parts[1], parts[2])
        let yp = m <= 2 ? y - 1 : y
        let era = (yp >= 0 ? yp : yp - 399) / 400
        let yoe = yp - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return try OsloTimestamp(seconds: days * 86_400 + parts[3] * 3600 + parts[4] * 60 + parts[5],
                                 microseconds: parts.count > 6 ? Int(parts[6]) : 0)
    }

    public struct Malformed: Error {
        public var text: String
    }
}
