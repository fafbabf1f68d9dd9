import FoundationEssentials

/// What the dirtyring test guest reports on its serial console.
public enum GuestSerial {
    /// The last "dirtyring-guest: t=N achieved=X MiB/s" line: its second and rate; nil when none.
    public static func latest(path: String) -> (second: Int, megabytesPerSecond: Double)? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return nil }
        return latest(text: String(decoding: data, as: UTF8.self))
    }

    /// The last progress line in `text`.
    public static func latest(text: String) -> (second: Int, megabytesPerSecond: Double)? {
        for line in text.split(whereSeparator: \.isNewline).reversed() {
            if let report = report(in: line) { return report }
        }
        return nil
    }

    /// Every progress line of the log at `path`, in order; none when it cannot be read.
    public static func progress(path: String) -> [(second: Int, megabytesPerSecond: Double)] {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return [] }
        return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).compactMap(report(in:))
    }

    /// The second and rate of one "dirtyring-guest: t=N achieved=X MiB/s" line; nil for others.
    static func report(in line: Substring) -> (second: Int, megabytesPerSecond: Double)? {
        guard let tRange = line.firstRange(of: "dirtyring-guest: t="),
              let achieved = line.firstRange(of: " achieved="),
              tRange.upperBound <= achieved.lowerBound,
              let second = Int(line[tRange.upperBound..<achieved.lowerBound]),
              let rate = Double(line[achieved.upperBound...].prefix { $0 == "." || $0.isNumber })
        else { return nil }
        return (second, rate)
    }

    /// Whether the guest printed its "up" line.
    public static func isUp(path: String) -> Bool {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return false }
        return String(decoding: data, as: UTF8.self).contains("dirtyring-guest: up")
    }
}
