@testable import DirtyRingCore
import DirtyRingTestSupport
import Foundation
import Testing

/// The oslo.messaging wire encoding against bodies oslo itself produced
/// (`tox-data/notifications/generate.py`).
@Suite struct NotificationWireTests {
    static func text(_ name: String) throws -> String {
        try String(contentsOfFile: Repository.path("tox-data/notifications/" + name), encoding: .utf8)
    }

    static func inputs() throws -> [OsloJSON] {
        guard case .array(let items) = try OsloJSONParser.parse(text("inputs.json")) else { return [] }
        return items
    }

    static func string(_ value: OsloJSON?) -> String {
        if case .string(let text)? = value { return text }
        return ""
    }

    static func notification(_ item: OsloJSON) throws -> OsloNotification {
        try OsloNotification(
            messageID: string(item["message_id"]), publisherID: string(item["publisher_id"]),
            eventType: string(item["event_type"]),
            priority: #require(NotificationPriority(rawValue: string(item["priority"]))),
            payload: #require(item["payload"]), timestamp: FixtureTimestamp.parse(string(item["timestamp"])),
            uniqueID: string(item["unique_id"]))
    }

    @Test func everyFixtureIsEncodedByteForByte() throws {
        let items = try Self.inputs()
        #expect(items.count == NotificationEvent.allCases.count * NotificationFormat.allCases.count + 1)
        for item in items {
            let name = Self.string(item["name"])
            let expected = try Self.text(name + ".json")
            let driver = NotificationDriver(name: Self.string(item["driver"]))
            let encoded = OutgoingNotification(
                route: try NotificationRoute(topic: Self.string(item["topic"]), priority: .info),
                notification: try Self.notification(item), driver: driver).body
            #expect(encoded == expected, "\(name)")
            #expect(Array(encoded.utf8) == Array(expected.utf8), "\(name)")
        }
    }

    /// The catalogue builds the same event types, priorities, publishers, topics and versioned
    /// payloads as the fixtures.
    @Test func catalogueMatchesTheFixtures() throws {
        var seen: Set<String> = []
        for item in try Self.inputs() {
            let name = Self.string(item["name"])
            let event = try #require(NotificationEvent(rawValue: Self.string(item["event_type"])))
            let format = try #require(NotificationFormat(rawValue: String(name.split(separator: ".")[1])))
            #expect(event.priority.wireName == Self.string(item["priority"]))
            #expect(format.publisherID(host: "cmp-7") == Self.string(item["publisher_id"]))
            #expect(format.defaultTopic == Self.string(item["topic"]))
            let payload = try #require(item["payload"])
            let data = format == .versioned ? try #require(payload["nova_object.data"]) : payload
            #expect(format.payload(for: event, data: data).serialized == payload.serialized, "\(name)")
            seen.insert(event.rawValue + "/" + format.rawValue)
        }
        #expect(seen.count == 14)
    }

    /// Every envelope parses back to the message it was made of.
    @Test func envelopeRoundTrips() throws {
        for item in try Self.inputs() where Self.string(item["driver"]) == "messagingv2" {
            let notification = try Self.notification(item)
            let envelope = try OsloJSONParser.parse(notification.body)
            #expect(envelope["oslo.version"] == .string("2.0"))
            let message = try OsloJSONParser.parse(Self.string(envelope["oslo.message"]))
            #expect(message == notification.message)
            #expect(notification.bodyBytes.allSatisfy { $0 < 0x80 })
        }
    }

    /// The measure event built from a measurement document is the fixture's payload.
    @Test func measurePayloadFromAMeasurement() throws {
        let request = try OsloJSONParser.parse("""
            {"instance": {"uuid": "6f3a1c2e-9b4d-4e8f-a1b2-c3d4e5f60718", "tenant_id": "8d2c4a1f0e9b4c7d8a6b5c4d3e2f1a0b",
                          "user_id": "f1e2d3c4b5a697887766554433221100"},
             "measurement": {"domain": "instance-0000002a", "uuid": "6f3a1c2e-9b4d-4e8f-a1b2-c3d4e5f60718",
                             "mode": "dirty-ring", "period_seconds": 1, "megabytes_per_second": 120.5,
                             "vcpu_megabytes_per_second": [60.25, 60.25], "memory_mib": 2048, "vcpus": 2,
                             "ring_size": 4096, "measured_at": "2026-11-28T03:18:09Z"}}
            """)
        let data = try NotificationPayload.data(for: .dirtyRateMeasure, request: request, host: "cmp-7")
        for item in try Self.inputs() where Self.string(item["event_type"]) == NotificationEvent.dirtyRateMeasure.rawValue {
            let format = try #require(NotificationFormat(rawValue: String(Self.string(item["name"]).split(separator: ".")[1])))
            #expect(format.payload(for: .dirtyRateMeasure, data: data) == item["payload"])
        }
    }

    @Test func pythonFloatReprMatchesPythonOnTheTable() throws {
        var checked = 0
        for line in try Self.text("floats.txt").split(separator: "\n") {
            let parts = line.split(separator: " ")
            let bits = try #require(UInt64(parts[0], radix: 16))
            let value = Double(bitPattern: bits)
            #expect(PythonFloat.jsonText(value) == String(parts[1]), "\(parts[0])")
            #expect(OsloJSON.number(value).serialized == String(parts[1]))
            checked += 1
        }
        #expect(checked > 9000)
    }

    @Test(arguments: [
        (1e-05, "1e-05"), (100.0, "100.0"), (1.5e16, "1.5e+16"), (0.0001, "0.0001"), (1e16, "1e+16"),
        (1e15, "1000000000000000.0"), (-0.0, "-0.0"), (Double.leastNonzeroMagnitude, "5e-324"), (0.1, "0.1"),
        (1.7976931348623157e308, "1.7976931348623157e+308"), (123.456, "123.456"), (-2.5e-7, "-2.5e-07"),
    ])
    func pythonFloatRepr(value: Double, expected: String) {
        #expect(PythonFloat.repr(value) == expected)
    }

    @Test func nonFiniteFloats() {
        #expect(PythonFloat.repr(.nan) == "nan")
        #expect(PythonFloat.jsonText(.nan) == "NaN")
        #expect(PythonFloat.jsonText(.infinity) == "Infinity")
        #expect(PythonFloat.jsonText(-.infinity) == "-Infinity")
        #expect(PythonFloat.repr(-.infinity) == "-inf")
    }

    @Test(arguments: [
        ("é", #""\u00e9""#), ("🚀", #""\ud83d\ude80""#), ("\u{01}", #""\u0001""#), ("\u{1F}", #""\u001f""#),
        ("\"", #""\"""#), ("\\", #""\\""#), ("/", #""/""#), ("\u{2028}", #""\u2028""#),
        ("\n\r\t\u{08}\u{0C}", #""\n\r\t\b\f""#), ("\u{7F}", #""\u007f""#), ("~ a", #""~ a""#),
        ("\u{0}", #""\u0000""#), ("\u{FFFF}", #""\uffff""#), ("\u{10FFFF}", #""\udbff\udfff""#),
    ])
    func ensureASCIIEscapes(input: String, expected: String) {
        #expect(OsloJSON.string(input).serialized == expected)
    }

    @Test func pythonSeparatorsAndOrder() throws {
        let value = OsloJSON.object([
            ("z", .integer(1)), ("a", .array([.null, .bool(true), .bool(false), .number(2.0)])),
            ("m", .object([])), ("e", .array([])), ("z", .integer(-3)),
        ])
        #expect(value.serialized == #"{"z": -3, "a": [null, true, false, 2.0], "m": {}, "e": []}"#)
        #expect(try OsloJSONParser.parse(#"{"b": 1, "a": 2, "b": 3}"#).serialized == #"{"b": 3, "a": 2}"#)
    }

    @Test(arguments: [
        (Int64(0), 0, "1970-01-01 00:00:00"), (Int64(0), 1, "1970-01-01 00:00:00.000001"),
        (Int64(1_795_835_890), 887_256, "2026-11-28 03:18:10.887256"),
        (Int64(1_795_835_890), 0, "2026-11-28 03:18:10"), (Int64(951_782_400), 500_000, "2000-02-29 00:00:00.500000"),
        (Int64(-1), 999_999, "1969-12-31 23:59:59.999999"), (OsloTimestamp.minimumSeconds, 0, "0001-01-01 00:00:00"),
        (OsloTimestamp.maximumSeconds, 999_999, "9999-12-31 23:59:59.999999"),
    ])
    func timestamps(seconds: Int64, microseconds: Int, expected: String) throws {
        #expect(try OsloTimestamp(seconds: seconds, microseconds: microseconds).text == expected)
    }

    @Test func timestampsMatchPythonOnTheTable() throws {
        var checked = 0
        for line in try Self.text("timestamps.txt").split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 2)
            let seconds = try #require(Int64(parts[0]))
            let microseconds = try #require(Int(parts[1]))
            #expect(try OsloTimestamp(seconds: seconds, microseconds: microseconds).text == String(parts[2]), "\(line)")
            checked += 1
        }
        #expect(checked > 2000)
    }

    @Test func timestampRangesAndMicrosecondsSinceEpoch() throws {
        #expect(throws: DirtyRingError.self) { try OsloTimestamp(seconds: 0, microseconds: 1_000_000) }
        #expect(throws: DirtyRingError.self) { try OsloTimestamp(seconds: OsloTimestamp.maximumSeconds + 1, microseconds: 0) }
        #expect(try OsloTimestamp(microsecondsSinceEpoch: -1).text == "1969-12-31 23:59:59.999999")
        #expect(try OsloTimestamp(microsecondsSinceEpoch: 1_795_835_890_887_256).text == "2026-11-28 03:18:10.887256")
        #expect(throws: DirtyRingError.self) { try OsloTimestamp(microsecondsSinceEpoch: .min) }
    }

    @Test func priorities() {
        #expect(NotificationPriority(method: "warning") == .warn)
        #expect(NotificationPriority(method: "WARN") == .warn)
        #expect(NotificationPriority(method: "sample")?.routingSuffix == "sample")
        #expect(NotificationPriority(method: "notice") == nil)
        #expect(NotificationPriority(rawValue: "WARNING") == nil)
        #expect(NotificationPriority.allCases.map(\.wireName) == ["AUDIT", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "SAMPLE"])
    }

    @Test func identifiersAreVersion4() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<100 {
            let ids = NotificationIdentifiers(using: &generator)
            #expect(ids.messageID.count == 36 && ids.uniqueID.count == 32)
            let hex = Array(ids.messageID.replacingOccurrences(of: "-", with: ""))
            #expect(hex[12] == "4" && "89ab".contains(hex[16]))
            #expect(ids.uniqueID.allSatisfy { "0123456789abcdef".contains($0) })
        }
    }

    @Test func contextKeysFollowTheUniqueID() throws {
        var notification = try Self.notification(try #require(Self.inputs().first))
        notification.context = [("is_admin", .bool(true)), ("user_id", .null)]
        let text = notification.message.serialized
        #expect(text.hasSuffix(#""_unique_id": "\#(notification.uniqueID)", "_context_is_admin": true, "_context_user_id": null}"#))
    }
}
