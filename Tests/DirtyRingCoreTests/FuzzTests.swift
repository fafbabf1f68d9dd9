@testable import DirtyRingCore
import DirtyRingTestSupport
import Testing

/// Random and mutated inputs to every entry point: none may trap, and every response is an
/// envelope with exactly one of ok and error.
@Suite struct FuzzTests {
    static let seeds: [String] = [
        #"{"config": {"ring_mode": "auto", "ring_size": 4096}, "host": \#(Fixture.json(Fixture.host()))}"#,
        #"{"config": {}, "host": \#(Fixture.json(Fixture.host())), "flavor_extra_specs": {"dirtyring:ring": "on", "dirtyring:ring_size": "8192"}, "image_properties": {"dirtyring_ring": "off"}}"#,
        #"{"config": {"ring_mode": "on"}, "host": \#(Fixture.json(Fixture.unusableHost)), "host_name": "cmp-2", "instance_ring_size": 4096}"#,
        #"{"kvm_xml": "<kvm><hidden state='on'/><dirty-ring state='on' size='1024'/></kvm>", "ring_size": 4096}"#,
        #"{"memory_mib": 2048, "dirty_rate_megabytes_per_second": 120.5, "bandwidth_megabytes_per_second": 100, "max_downtime_ms": 500, "deadline_seconds": 1600, "working_set_mib": 512}"#,
        #"{"action": "throttle", \#(PrecheckTests.libvirtJSON), "measurement": \#(Fixture.json(PrecheckTests.measurement(rate: 120)))}"#,
        "", "null", "[]", "{}", String(repeating: "[", count: 100_000), String(repeating: "{\"a\":", count: 10_000),
        #"{"config": {"ring_size": 1e400}}"#, #"{"config": {"ring_size": -9223372036854775809}}"#,
        #"{"event": "instance.dirty_rate.measure", "host": "cmp-7", "data": {"megabytes_per_second": 1.5}, "timestamp_us": 1795835890887256, "options": {"driver": ["messagingv2"], "notification_format": "both", "transport_url": "rabbit://u:p@h/?rabbit_quorum_queue=1"}}"#,
    ]

    static let entryPoints: [@Sendable (String) -> String] = [
        ABIRequests.configCheck(json:), ABIRequests.ringDecide(json:),
        ABIRequests.destinationCheck(json:), ABIRequests.kvmElement(json:),
        ABIRequests.migrationForecast(json:), ABIRequests.precheckDecide(json:),
        NotificationRequests.plan(json:),
    ]

    static let tokens = ["{", "}", "[", "]", ":", ",", "\"", "null", "true", "-1", "65536", "1e9", "1e308", "0.0", "-0", "\\u0000", "<", "</kvm>", "&", "<![CDATA[", "\u{FFFF}", "é"]

    static func mutate(_ text: String, _ generator: inout SeededGenerator) -> String {
        var scalars = Array(text.unicodeScalars)
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            let position = scalars.isEmpty ? 0 : Int.random(in: 0...scalars.count, using: &generator)
            switch Int.random(in: 0..<4, using: &generator) {
            case 0 where position < scalars.count:
                scalars.remove(at: position)
            case 1:
                let token = tokens.randomElement(using: &generator) ?? ""
                scalars.insert(contentsOf: token.unicodeScalars, at: position)
            case 2:
                scalars = Array(scalars.prefix(position))
            default:
                if let scalar = Unicode.Scalar(UInt32.random(in: 0..<0x250, using: &generator)) {
                    scalars.insert(scalar, at: position)
                }
            }
        }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars)
        return String(result)
    }

    @Test func abiRequestsAlwaysAnswerWithAnEnvelope() throws {
        var generator = SeededGenerator(seed: 42)
        var inputs = Self.seeds
        for _ in 0..<3000 {
            inputs.append(Self.mutate(Self.seeds.randomElement(using: &generator) ?? "", &generator))
        }
        for _ in 0..<300 {
            let bytes = (0..<Int.random(in: 0..<100, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            inputs.append(String(decoding: bytes, as: UTF8.self))
        }
        var oks = 0
        for input in inputs {
            for entryPoint in Self.entryPoints {
                let response = try #require(Fixture.response(entryPoint(input)), "\(input)")
                #expect((response.ok == nil) != (response.error == nil), "\(input)")
                if response.ok != nil { oks += 1 }
            }
        }
        #expect(oks > 0)
    }

    @Test func xmlTransformsNeverTrap() throws {
        var generator = SeededGenerator(seed: 1)
        var documents = try DomainXMLTests.fixtures.map { try Fixture.domainXML("\($0).xml") }
        documents.append("<kvm><hidden state='on'/></kvm>")
        let size = RingSize.default
        for index in 0..<2000 {
            let base = documents[index % documents.count]
            let input = Self.mutate(base, &generator)
            _ = try? XMLDocument(parsing: input)
            _ = try? KVMElement.merge(kvmXML: input, ringSize: size)
            if let output = try? DomainXML.applyDirtyRing(domainXML: input, ringSize: size) {
                #expect(try DomainXML.dirtyRingSize(domainXML: output) == 4096)
            }
            _ = try? DomainXML.applyDirtyRing(domainXML: input, ringSize: nil)
        }
    }

    @Test func envelopes() throws {
        #expect(ABIRequests.error(DirtyRingError(kind: .timeout, message: "a/b")) == #"{"error":{"kind":"timeout","message":"a/b"}}"#)
        #expect(ABIRequests.ok(Fixture.host(qualified: []).dirtyRing) == #"{"ok":{"max_size":65536,"offered":false,"qualification":{"checked_at":null,"checks":[],"evidence":"this host's dirty ring was never qualified (dirtyring qualify)","key":null,"seconds":null,"stale":[],"state":"unknown"},"qualifications":[],"qualified_sizes":[],"reasons":[],"ring_size":4096,"usable":true}}"#)
        let malformed = try #require(Fixture.response(ABIRequests.configCheck(json: "{")))
        #expect(malformed.error?.kind == .malformedJSON)
        let shape = try #require(Fixture.response(ABIRequests.configCheck(json: #"{"config": {}, "host": {"kvm": {}}}"#)))
        #expect(shape.error == DirtyRingError(kind: .invalidRequest, message: "the request lacks the field 'host.kvm.device'"))
        let notObject = try #require(Fixture.response(ABIRequests.destinationCheck(json: "[]")))
        #expect(notObject.error?.message == "the request must be a JSON object")
    }
}
