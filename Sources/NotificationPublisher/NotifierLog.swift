/// Lines for nova-compute's log, kept until the shim collects them (`Notifier.status`). At most
/// `capacity` are kept; beyond that the oldest give way and are counted.
public struct NotifierLog: Sendable {
    public struct Entry: Encodable, Equatable, Sendable {
        public enum Level: String, Encodable, Sendable { case info, warning, error }
        public var level: Level
        public var message: String
    }

    public let capacity: Int
    private(set) var entries: [Entry] = []
    private var overflow = 0

    public init(capacity: Int = 256) {
        self.capacity = max(1, capacity)
    }

    mutating func append(_ level: Entry.Level, _ message: String) {
        if entries.count >= capacity {
            entries.removeFirst()
            overflow += 1
        }
        entries.append(Entry(level: level, message: message))
    }

    /// The lines kept, oldest first, and a warning for those that gave way; empties the log.
    mutating func drain() -> [Entry] {
        var drained = entries
        if overflow > 0 {
            drained.insert(Entry(level: .warning, message: "\(overflow) earlier notifier log lines were dropped"), at: 0)
        }
        entries.removeAll()
        overflow = 0
        return drained
    }
}
