@testable import DirtyRingCore
import Testing

/// The outbox's bookkeeping: order, confirms, resends, the capacity, the spool line.
@Suite struct OutboxTests {
    /// The queue behind a reference, so that `#expect` can call its mutating methods.
    final class Box {
        var queue: OutboxQueue
        init(capacityBytes: Int) { queue = OutboxQueue(capacityBytes: capacityBytes) }
        func append(_ record: SpoolRecord, bytes: Int) -> [SpoolRecord] { queue.append(record, bytes: bytes) }
        func takeWaiting(limit: Int, maximumBytes: Int) -> [SpoolRecord] { queue.takeWaiting(limit: limit, maximumBytes: maximumBytes) }
        func settle(_ sequence: UInt64, acknowledged: Bool) -> Bool { queue.settle(sequence, acknowledged: acknowledged) }
        func resendUnconfirmed() { queue.resendUnconfirmed() }
    }

    static func record(_ sequence: UInt64, body: String = "{}") -> SpoolRecord {
        SpoolRecord(sequence: sequence, exchange: "nova", topic: "notifications", priority: .info, body: body)
    }

    @Test func sendsInOrderAndIsDoneOnlyThroughTheConfirmedPrefix() {
        let box = Box(capacityBytes: 10_000)
        for sequence in 1...5 { #expect(box.append(Self.record(UInt64(sequence)), bytes: 10).isEmpty) }
        #expect(box.takeWaiting(limit: 3, maximumBytes: 1000).map(\.sequence) == [1, 2, 3])
        #expect(box.takeWaiting(limit: 10, maximumBytes: 15).map(\.sequence) == [4])
        #expect(box.queue.count(in: .sent) == 4 && box.queue.count(in: .waiting) == 1)
        #expect(box.settle(2, acknowledged: true))
        #expect(box.queue.doneThrough == 0, "1 is not confirmed yet")
        #expect(box.settle(1, acknowledged: true))
        #expect(box.queue.doneThrough == 2 && box.queue.count == 3 && box.queue.bytes == 30)
        #expect(!box.settle(1, acknowledged: true), "already done")
        #expect(!box.settle(9, acknowledged: true), "never queued")
    }

    @Test func aNackAndALostConnectionSendAgainFromTheOldest() {
        let box = Box(capacityBytes: 10_000)
        for sequence in 1...4 { _ = box.append(Self.record(UInt64(sequence)), bytes: 10) }
        #expect(box.takeWaiting(limit: 10, maximumBytes: 1000).count == 4)
        #expect(box.settle(3, acknowledged: false))
        #expect(box.takeWaiting(limit: 10, maximumBytes: 1000).map(\.sequence) == [3])
        #expect(box.settle(1, acknowledged: true))
        box.resendUnconfirmed()
        #expect(box.takeWaiting(limit: 10, maximumBytes: 1000).map(\.sequence) == [2, 3, 4])
        #expect(box.queue.hasWaiting == false)
    }

    @Test func theOldestAreDroppedAtTheCapacityAndCounted() {
        let box = Box(capacityBytes: 100)
        var dropped: [UInt64] = []
        for sequence in 1...25 { dropped += box.append(Self.record(UInt64(sequence)), bytes: 10).map(\.sequence) }
        #expect(dropped == Array(1...15))
        #expect(box.queue.count == 10 && box.queue.bytes == 100 && box.queue.doneThrough == 15)
        #expect(box.takeWaiting(limit: 100, maximumBytes: 10_000).first?.sequence == 16)
        // A confirmed record in the middle is not counted as dropped.
        #expect(box.settle(17, acknowledged: true))
        let next = box.append(Self.record(26), bytes: 25).map(\.sequence)
        #expect(next == [16, 18], "17 was confirmed, so it is not a loss")
        // A late confirm of a dropped record is ignored.
        #expect(!box.settle(16, acknowledged: true))
    }

    @Test func manyRecordsKeepTheirOrderThroughCompaction() {
        let box = Box(capacityBytes: 1 << 30)
        for sequence in 1...20_000 { _ = box.append(Self.record(UInt64(sequence)), bytes: 1) }
        var confirmed: [UInt64] = []
        while !box.queue.isEmpty {
            let batch = box.takeWaiting(limit: 512, maximumBytes: 1 << 20)
            for record in batch where box.settle(record.sequence, acknowledged: true) { confirmed.append(record.sequence) }
        }
        #expect(confirmed == (1...20_000).map(UInt64.init))
        #expect(box.queue.doneThrough == 20_000 && box.queue.bytes == 0)
    }

    @Test func aSpoolLineHoldsTheExactBody() throws {
        let body = #"{"oslo.version": "2.0", "oslo.message": "{\"payload\": \"\\u00e9t\\u00e9 \\\"q\\\"\"}"}"#
        let record = SpoolRecord(sequence: 42, exchange: "nova", topic: "notifications", priority: .warn, body: body)
        let line = record.line
        #expect(line.hasSuffix("\n") && line.utf8.filter { $0 == 0x0A }.count == 1)
        #expect(line.hasPrefix(#"{"seq": 42, "exchange": "nova", "topic": "notifications", "priority": "WARN"}"# + "\t"))
        #expect(SpoolRecord(line: String(line.dropLast())) == record)
    }

    @Test(arguments: ["", "{\"seq\": 1}", "{\"seq\": 1, \"exchange\": \"nova\", \"topic\": \"t\", \"priority\": \"INFO\"}",
                      "{\"seq\": 0, \"exchange\": \"nova\", \"topic\": \"t\", \"priority\": \"INFO\"}\t{}",
                      "{\"seq\": 1, \"exchange\": \"nova\", \"topic\": \"t\", \"priority\": \"LOUD\"}\t{}",
                      "{\"seq\": 1, \"exchange\": \"nova\", \"topic\": \"t\", \"pri", "garbage\t{}"])
    func aLineThatIsNotARecordIsRefused(line: String) {
        #expect(SpoolRecord(line: line) == nil)
    }

    @Test func reconnectsAsOsloDoes() {
        var schedule = ReconnectSchedule(RabbitOptions())
        var delays: [Double] = []
        for _ in 0..<18 { delays.append(schedule.failed()) }
        #expect(delays == [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 30, 30, 30])
        schedule.succeeded()
        let first = schedule.failed()
        #expect(first == 1)
    }
}
