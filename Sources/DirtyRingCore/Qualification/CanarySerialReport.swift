/// What the self-checking canary (tox-data/guest, `check=1`) printed on its serial console.
public struct CanarySerialReport: Equatable, Sendable {
    /// It printed its "up" line.
    public var up: Bool
    /// The second of its last progress line (`t=`); nil before the first.
    public var lastSecond: Int?
    /// The last cumulative stale count (`stale=`); nil when no progress line carried one.
    public var stalePages: Int?
    /// How many progress lines it printed.
    public var progressLines: Int
    /// The mismatches it printed ("page=P found=F expected=E"), at most 8.
    public var staleSamples: [String]

    /// Reads the canary's output; garbled lines are ignored, never trapped on, and so is a last
    /// line without its newline (QEMU may be writing it: `stale=1` could be the start of 12).
    public init(text: String) {
        up = false
        lastSecond = nil
        stalePages = nil
        progressLines = 0
        staleSamples = []
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        if !lines.isEmpty { lines.removeLast() }  // after the last newline: empty, or a line not yet complete
        for line in lines {
            guard let start = line.firstRange(of: "dirtyring-guest: ") else { continue }
            let body = line[start.upperBound...]
            if body.hasPrefix("up ") {
                up = true
            } else if body.hasPrefix("stale ") {
                if staleSamples.count < 8 { staleSamples.append(String(body.dropFirst(6))) }
            } else if body.hasPrefix("t="), let second = Self.number(after: "t=", in: body) {
                progressLines += 1
                lastSecond = second
                if let stale = Self.number(after: " stale=", in: body) { stalePages = stale }
            }
        }
    }

    /// The decimal number that follows `key` in `line`.
    static func number(after key: String, in line: Substring) -> Int? {
        guard let range = line.firstRange(of: key) else { return nil }
        let digits = line[range.upperBound...].prefix { $0.isASCII && $0.isNumber }
        return DecimalInteger.parse(String(digits))
    }
}
