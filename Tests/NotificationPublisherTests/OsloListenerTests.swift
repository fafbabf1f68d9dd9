import AMQPClient
@testable import DirtyRingCore
import DirtyRingTestSupport
import Foundation
import NotificationPublisher
import Testing

/// A real oslo.messaging notification listener (`oslo_listener.py`) consumes what our publisher
/// sent. Python with oslo.messaging: `DIRTYRING_PYTHON`, else the repository's `.venv` (scripts/test
/// installs it).
@Suite struct OsloListenerTests {
    static let python = ProcessInfo.processInfo.environment["DIRTYRING_PYTHON"] ?? Repository.path(".venv/bin/python")

    /// What an endpoint saw or should see, in one canonical JSON text.
    static func canonical(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func osloListenerReceivesEveryEventInBothFormats() throws {
        let exchange = Fixtures.unique("drtest-oslo")
        let topics = ["notifications": exchange + "-notifications", "versioned_notifications": exchange + "-versioned"]
        let items = try Fixtures.array("inputs.json")
        let outgoing = try items.map { item in
            try Fixtures.outgoing(item, exchange: exchange, topic: topics[Fixtures.string(item["topic"])])
        }
        #expect(Set(outgoing.map(\.notification.publisherID.first)) == ["c", "n"], "both formats are sent")

        // Our declarations come first; the messages wait in the queues for the listener.
        let publisher = try NotificationPublisher.connect(to: Fixtures.broker())
        defer { publisher.close() }
        #expect(try publisher.publish(outgoing, confirmTimeout: .seconds(10)) == Array(repeating: .ack, count: items.count))
        defer {
            if let cleanup = try? Fixtures.connection() {
                for queue in Set(outgoing.map(\.route.queue.name)) { try? cleanup.deleteQueue(queue) }
                try? cleanup.deleteExchange(exchange)
                cleanup.close()
            }
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [Repository.path("Tests/NotificationPublisherTests/oslo_listener.py"), Fixtures.url, exchange,
                             "\(items.count)", "30"] + topics.values.sorted()
        let output = Pipe()
        let errorLog = FileManager.default.temporaryDirectory.appendingPathComponent(exchange + ".stderr")
        _ = FileManager.default.createFile(atPath: errorLog.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorLog) }
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorLog)
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "listener: \(stderr.suffix(2000))")

        let received = try String(decoding: printed, as: UTF8.self).split(separator: "\n").map { line in
            try Self.canonical(JSONSerialization.jsonObject(with: Data(line.utf8)))
        }
        let expected = try outgoing.map { message in
            try Self.canonical([
                "priority": message.notification.priority.wireName,
                "event_type": message.notification.eventType,
                "publisher_id": message.notification.publisherID,
                "payload": JSONSerialization.jsonObject(with: Data(message.notification.payload.serialized.utf8)),
            ] as [String: Any])
        }
        #expect(received.sorted() == expected.sorted())
    }
}
