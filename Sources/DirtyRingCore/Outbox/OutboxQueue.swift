/// The notifications accepted and not yet done, in sequence order, and what the publisher has
/// done with each: waiting to be sent, sent and awaiting the broker's confirm, or confirmed.
/// A record is done when it is confirmed, or dropped to keep the queue within its capacity
/// (oldest first). Pure bookkeeping; the caller serializes access.
public struct OutboxQueue: Sendable {
    public enum State: Sendable, Equatable { case waiting, sent, confirmed }

    struct Entry: Sendable {
        var record: SpoolRecord
        var bytes: Int
        var state: State
    }

    /// Entries from `head` on are live; those before are done and wait for compaction.
    private var entries: [Entry] = []
    private var head = 0
    /// No entry before this index is waiting.
    private var sendCursor = 0
    /// Every sequence up to this one is done.
    public private(set) var doneThrough: UInt64
    /// The sum of the live records' line sizes.
    public private(set) var bytes = 0
    /// Live records waiting and sent.
    private var waitingCount = 0
    private var sentCount = 0
    /// Upper bound of `bytes`; the oldest records are dropped to stay within it.
    public let capacityBytes: Int

    public init(capacityBytes: Int, doneThrough: UInt64 = 0) {
        self.capacityBytes = max(0, capacityBytes)
        self.doneThrough = doneThrough
    }

    /// Records not done yet.
    public var count: Int { entries.count - head }
    public var isEmpty: Bool { count == 0 }
    /// Sequence of the newest record (or `doneThrough` when empty).
    public var lastSequence: UInt64 { entries.last.map { $0.record.sequence } ?? doneThrough }

    public func count(in state: State) -> Int {
        switch state {
        case .waiting: waitingCount
        case .sent: sentCount
        case .confirmed: count - waitingCount - sentCount
        }
    }

    public var hasWaiting: Bool { waitingCount > 0 }

    /// Adds a record, whose sequence must follow the last one; returns the records dropped
    /// (oldest first) to keep within the capacity, the new one included when it alone exceeds it.
    public mutating func append(_ record: SpoolRecord, bytes size: Int) -> [SpoolRecord] {
        entries.append(Entry(record: record, bytes: size, state: .waiting))
        bytes += size
        waitingCount += 1
        var dropped: [SpoolRecord] = []
        while bytes > capacityBytes, head < entries.count {
            if entries[head].state != .confirmed { dropped.append(entries[head].record) }
            removeHead()
        }
        return dropped
    }

    /// Marks up to `limit` waiting records (at most `maximumBytes` together, at least one) as
    /// sent and returns them in order.
    public mutating func takeWaiting(limit: Int, maximumBytes: Int) -> [SpoolRecord] {
        var taken: [SpoolRecord] = []
        var size = 0
        if sendCursor < head { sendCursor = head }
        while sendCursor < entries.count, taken.count < limit {
            if entries[sendCursor].state == .waiting {
                if !taken.isEmpty, size + entries[sendCursor].bytes > maximumBytes { break }
                entries[sendCursor].state = .sent
                waitingCount -= 1
                sentCount += 1
                taken.append(entries[sendCursor].record)
                size += entries[sendCursor].bytes
            }
            sendCursor += 1
        }
        return taken
    }

    /// Applies the broker's answer for a sent record: an ack confirms it, a nack puts it back to
    /// be sent again. Returns false when the record is no longer here (already done or dropped).
    @discardableResult
    public mutating func settle(_ sequence: UInt64, acknowledged: Bool) -> Bool {
        guard let index = index(of: sequence), entries[index].state == .sent else { return false }
        sentCount -= 1
        if acknowledged {
            entries[index].state = .confirmed
            while head < entries.count, entries[head].state == .confirmed { removeHead() }
        } else {
            entries[index].state = .waiting
            waitingCount += 1
            sendCursor = min(sendCursor, index)
        }
        return true
    }

    /// Every sent record goes back to waiting (the connection it was sent on is gone); returns
    /// how many.
    @discardableResult
    public mutating func resendUnconfirmed() -> Int {
        let unconfirmed = sentCount
        for index in head..<entries.count where entries[index].state == .sent {
            entries[index].state = .waiting
        }
        waitingCount += sentCount
        sentCount = 0
        sendCursor = head
        return unconfirmed
    }

    private func index(of sequence: UInt64) -> Int? {
        guard head < entries.count else { return nil }
        let first = entries[head].record.sequence
        guard sequence >= first else { return nil }
        let offset = sequence - first
        guard offset < UInt64(entries.count - head) else { return nil }
        return head + Int(offset)
    }

    private mutating func removeHead() {
        bytes -= entries[head].bytes
        switch entries[head].state {
        case .waiting: waitingCount -= 1
        case .sent: sentCount -= 1
        case .confirmed: break
        }
        doneThrough = entries[head].record.sequence
        head += 1
        if head == entries.count {
            entries.removeAll(keepingCapacity: true)
            head = 0
            sendCursor = 0
        } else if head >= 4096, head * 2 >= entries.count {
            entries.removeFirst(head)
            sendCursor = max(0, sendCursor - head)
            head = 0
        }
    }
}
