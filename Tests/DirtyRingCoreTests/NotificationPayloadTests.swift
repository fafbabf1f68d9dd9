@testable import DirtyRingCore
import Testing

/// The payloads the product publishes, built from the library's own documents, against the
/// committed samples (`tox-data/notifications/`, encoded by oslo.messaging).
@Suite struct NotificationPayloadTests {
    static let instance = #"{"uuid": "6f3a1c2e-9b4d-4e8f-a1b2-c3d4e5f60718", "tenant_id": "8d2c4a1f0e9b4c7d8a6b5c4d3e2f1a0b", "user_id": "f1e2d3c4b5a697887766554433221100"}"#
    static let measurement = #"{"domain": "instance-0000002a", "uuid": "6f3a1c2e-9b4d-4e8f-a1b2-c3d4e5f60718", "mode": "dirty-ring", "period_seconds": 1, "megabytes_per_second": 120.5, "vcpu_megabytes_per_second": [60.25, 60.25], "memory_mib": 2048, "vcpus": 2, "ring_size": 4096, "measured_at": "2026-11-28T03:18:09Z"}"#

    /// A dr_precheck_decide result in the library's shape (integers where JSONEncoder writes
    /// whole numbers as integers).
    static func decision(verdict: String, reason: String, converges: Bool, limit: String) -> String {
        """
        {"verdict": "\(verdict)", "reason": "\(reason)",
         "bounds": {"bandwidth_megabytes_per_second": 100, "max_downtime_ms": 500, "deadline_seconds": 1600},
         "forecast": {"converges": \(converges), "rounds": \(converges ? 4 : 10000),
                      "total_seconds": \(converges ? "21.5" : "1600"), "bytes_sent": \(converges ? 2254438400 : 167772160000),
                      "downtime_ms": \(converges ? "312.5" : "1205"), "floor_seconds": 20.48,
                      "limit_megabytes_per_second": \(limit)}}
        """
    }

    static func payload(_ event: NotificationEvent, _ members: String) throws -> OsloJSON {
        try NotificationPayload.data(
            for: event, request: OsloJSONParser.parse(#"{"instance": \#(instance), "# + members + "}"), host: "cmp-7")
    }

    static func fixture(_ name: String) throws -> OsloJSON {
        try #require(NotificationWireTests.inputs().first { NotificationWireTests.string($0["name"]) == name }?["payload"])
    }

    @Test func precheckPayloadsAreTheSamples() throws {
        let reject = "never converges: \\u00e9t\\u00e9 \\\"quoted\\\" \\\\ / \\u2028 \\ud83d\\ude80 \\u0001"
        let cases: [(NotificationEvent, String, String, String, Bool, String, String)] = [
            (.precheckAccept, "precheck_accept", "warn", "accept", true, "null", "converges in 4 rounds, 21.5 s"),
            (.precheckThrottle, "precheck_throttle", "throttle", "throttle", false, "70.5",
             "dirty rate 120.5 MB/s > bandwidth 100.0 MB/s"),
            (.precheckReject, "precheck_reject", "reject", "reject", false, "null", reject),
        ]
        for (event, name, action, verdict, converges, limit, reason) in cases {
            let data = try Self.payload(event, #""measurement": \#(Self.measurement), "precheck": {"action": "\#(action)", "action_source": "host", "decision": \#(Self.decision(verdict: verdict, reason: reason, converges: converges, limit: limit))}"#)
            #expect(data == (try Self.fixture(name + ".unversioned")), "\(name)")
            #expect(NotificationFormat.versioned.payload(for: event, data: data) == (try Self.fixture(name + ".versioned")))
            #expect(data.serialized == (try Self.fixture(name + ".unversioned")).serialized, "floats stay floats")
        }
    }

    @Test func aRealDecisionFillsEveryFieldOfTheSample() throws {
        let request = try ABIRequests.decode(PrecheckDecision.Request.self, from: """
            {"action": "reject", "measurement": \(Self.measurement),
             "libvirt": {"live_migration_bandwidth": 100, "live_migration_downtime": 500,
                         "live_migration_completion_timeout": 800},
             "assumed_bandwidth_megabytes_per_second": 1250, "no_timeout_deadline_seconds": 600}
            """)
        let decision = try PrecheckDecision.decide(request)
        let document = try #require(try OsloJSONParser.parse(ABIRequests.ok(decision))["ok"])
        let verdict = NotificationWireTests.string(document["verdict"])
        let event = try #require(NotificationEvent(rawValue: "instance.live_migration_precheck." + verdict))
        let data = try Self.payload(event, #""measurement": \#(Self.measurement), "precheck": {"action": "reject", "action_source": "host", "decision": \#(document.serialized)}"#)
        let sample = try Self.fixture("precheck_reject.unversioned")
        guard case .object(let fields) = data, case .object(let expected) = sample,
              case .object(let forecast)? = data["forecast"], case .object(let expectedForecast)? = sample["forecast"]
        else {
            Issue.record("payloads are not objects")
            return
        }
        #expect(fields.map(\.0) == expected.map(\.0))
        #expect(forecast.map(\.0) == expectedForecast.map(\.0))
        #expect(data["verdict"] == .string(verdict) && data["reason"] == document["reason"])
    }

    @Test func theFaultPayloadIsTheSample() throws {
        let data = try Self.payload(.dirtyRingFault, #""fault": {"ring_size": 4096, "error": {"kind": "stall", "message": "dirty-ring measurement stopped vCPUs of domain instance-0000002a: vCPU 1 stopped running its guest", "stalled_vcpus": [1]}}"#)
        #expect(data == (try Self.fixture("dirty_ring_fault.unversioned")))
    }

    @Test(arguments: [
        (#""measurement": {}"#, "measurement.vcpu_megabytes_per_second"),
        (#""precheck": {"action": "warn", "action_source": "host", "decision": {"verdict": "reject"}}"#, "does not match"),
        ("\"fault\": {\"ring_size\": 1}", "fault.error"),
    ])
    func aMissingOrWrongFieldIsNamed(members: String, named: String) {
        let event: NotificationEvent = members.contains("fault") ? .dirtyRingFault
            : members.contains("precheck") ? .precheckAccept : .dirtyRateMeasure
        #expect {
            _ = try Self.payload(event, members)
        } throws: { error in
            guard let error = error as? DirtyRingError else { return false }
            return error.kind == .invalidRequest && error.message.contains(named)
        }
    }
}
