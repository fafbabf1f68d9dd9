/// One live migration of the self-checking canary between two QEMU processes on this host: what
/// QEMU said about it and what the canary found on the destination.
///
/// The truth is the canary's own report: before it rewrites a page it checks that the page holds
/// its previous write, so a write the migration lost shows up as a stale page on the destination.
public struct MigrationIntegrityRun: Codable, Equatable, Sendable {
    /// "ring" or "bitmap".
    public var dirtyLog: String
    /// Entries of each vCPU's dirty ring; 0 for the bitmap.
    public var ringSize: Int
    public var workingSetMiB: Int
    public var rateMiBPerSecond: Int
    public var bandwidthMiBPerSecond: Int
    /// QEMU reported the migration completed.
    public var completed: Bool
    /// Total time of the migration, as QEMU measured it.
    public var seconds: Double?
    /// Pre-copy rounds (`ram.dirty-sync-count`).
    public var iterations: Int?
    public var downtimeMilliseconds: Int?
    public var transferredMiB: Double?
    /// Cumulative stale pages the canary counted, read on the destination; nil when it could not
    /// be read.
    public var stalePages: Int?
    /// The canary kept reporting on the destination.
    public var destinationRunning: Bool
    /// Why the run could not complete or be read.
    public var error: String?

    public static let ring = "ring"
    public static let bitmap = "bitmap"

    public init(
        ringSize: Int?, workingSetMiB: Int, rateMiBPerSecond: Int, bandwidthMiBPerSecond: Int,
        completed: Bool = false, seconds: Double? = nil, iterations: Int? = nil, downtimeMilliseconds: Int? = nil,
        transferredMiB: Double? = nil, stalePages: Int? = nil, destinationRunning: Bool = false, error: String? = nil
    ) {
        self.dirtyLog = ringSize == nil ? Self.bitmap : Self.ring
        self.ringSize = ringSize ?? 0
        self.workingSetMiB = workingSetMiB
        self.rateMiBPerSecond = rateMiBPerSecond
        self.bandwidthMiBPerSecond = bandwidthMiBPerSecond
        self.completed = completed
        self.seconds = seconds
        self.iterations = iterations
        self.downtimeMilliseconds = downtimeMilliseconds
        self.transferredMiB = transferredMiB
        self.stalePages = stalePages
        self.destinationRunning = destinationRunning
        self.error = error
    }

    /// The migration completed, the canary kept running on the destination and found every page
    /// as it had left it.
    public var passed: Bool { completed && destinationRunning && stalePages == 0 && error == nil }

    /// One line for an operator, e.g. "ring 4096: 64 MiB at 30 MiB/s over 40 MiB/s: completed in
    /// 6.1 s, 5 iterations, downtime 212 ms, 212 stale pages on the destination".
    public var evidence: String {
        let log = dirtyLog == Self.ring ? "ring \(ringSize)" : dirtyLog
        var text = "\(log): \(workingSetMiB) MiB at \(rateMiBPerSecond) MiB/s over \(bandwidthMiBPerSecond) MiB/s: "
        var facts: [String] = []
        if completed {
            facts.append(seconds.map { "completed in \(Self.oneDecimal($0)) s" } ?? "completed")
        } else {
            facts.append("did not complete")
        }
        if let iterations { facts.append(iterations == 1 ? "1 iteration" : "\(iterations) iterations") }
        if let downtimeMilliseconds { facts.append("downtime \(downtimeMilliseconds) ms") }
        if let transferredMiB { facts.append("\(Self.oneDecimal(transferredMiB)) MiB sent") }
        if let stalePages {
            facts.append(stalePages == 1 ? "1 stale page on the destination" : "\(stalePages) stale pages on the destination")
        } else if completed {
            facts.append("stale pages unknown")
        }
        if completed && !destinationRunning { facts.append("the canary stopped reporting on the destination") }
        text += facts.joined(separator: ", ")
        if let error { text += " (\(error))" }
        return text
    }

    static func oneDecimal(_ value: Double) -> String {
        guard value.isFinite, abs(value) < 1e12 else { return String(value) }
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }

    enum CodingKeys: String, CodingKey {
        case dirtyLog = "dirty_log"
        case ringSize = "ring_size"
        case workingSetMiB = "working_set_mib"
        case rateMiBPerSecond = "rate_mib_per_second"
        case bandwidthMiBPerSecond = "bandwidth_mib_per_second"
        case completed, seconds, iterations
        case downtimeMilliseconds = "downtime_milliseconds"
        case transferredMiB = "transferred_mib"
        case stalePages = "stale_pages"
        case destinationRunning = "destination_running"
        case error, passed, evidence
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        dirtyLog = try container.decode(String.self, forKey: .dirtyLog)
        ringSize = try container.decode(Int.self, forKey: .ringSize)
        workingSetMiB = try container.decode(Int.self, forKey: .workingSetMiB)
        rateMiBPerSecond = try container.decode(Int.self, forKey: .rateMiBPerSecond)
        bandwidthMiBPerSecond = try container.decode(Int.self, forKey: .bandwidthMiBPerSecond)
        completed = try container.decode(Bool.self, forKey: .completed)
        seconds = try container.decodeIfPresent(Double.self, forKey: .seconds)
        iterations = try container.decodeIfPresent(Int.self, forKey: .iterations)
        downtimeMilliseconds = try container.decodeIfPresent(Int.self, forKey: .downtimeMilliseconds)
        transferredMiB = try container.decodeIfPresent(Double.self, forKey: .transferredMiB)
        stalePages = try container.decodeIfPresent(Int.self, forKey: .stalePages)
        destinationRunning = try container.decode(Bool.self, forKey: .destinationRunning)
        error = try container.decodeIfPresent(String.self, forKey: .error)
    }

    /// Writes the stored fields and, for a reader of the JSON, `passed` and `evidence` (derived:
    /// ignored when decoding).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(dirtyLog, forKey: .dirtyLog)
        try container.encode(ringSize, forKey: .ringSize)
        try container.encode(workingSetMiB, forKey: .workingSetMiB)
        try container.encode(rateMiBPerSecond, forKey: .rateMiBPerSecond)
        try container.encode(bandwidthMiBPerSecond, forKey: .bandwidthMiBPerSecond)
        try container.encode(completed, forKey: .completed)
        try container.encodeIfPresent(seconds, forKey: .seconds)
        try container.encodeIfPresent(iterations, forKey: .iterations)
        try container.encodeIfPresent(downtimeMilliseconds, forKey: .downtimeMilliseconds)
        try container.encodeIfPresent(transferredMiB, forKey: .transferredMiB)
        try container.encodeIfPresent(stalePages, forKey: .stalePages)
        try container.encode(destinationRunning, forKey: .destinationRunning)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encode(passed, forKey: .passed)
        try container.encode(evidence, forKey: .evidence)
    }
}
