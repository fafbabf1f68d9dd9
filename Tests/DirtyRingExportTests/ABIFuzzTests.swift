import DirtyRingExport
import DirtyRingTestSupport
import Foundation
import Testing

/// Garbage at the C ABI gets an error document, never a crash.
@Suite("C ABI robustness")
struct ABIFuzzTests {
    typealias Handler = @Sendable (UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>?

    static let handlers: [(String, Handler)] = [
        ("dr_config_check", dr_config_check),
        ("dr_ring_decide", dr_ring_decide),
        ("dr_destination_check", dr_destination_check),
        ("dr_kvm_element", dr_kvm_element),
        ("dr_migration_forecast", dr_migration_forecast),
        ("dr_precheck_decide", dr_precheck_decide),
    ]

    /// Takes a returned string, frees it, and parses the envelope.
    static func envelope(_ pointer: UnsafeMutablePointer<CChar>?) throws -> [String: Any] {
        let pointer = try #require(pointer)
        let text = String(cString: pointer)
        dr_string_free(pointer)
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        let dictionary = try #require(object as? [String: Any], "not an object: \(text)")
        #expect(dictionary.count == 1 && (dictionary["ok"] != nil || dictionary["error"] != nil), "\(text)")
        return dictionary
    }

    static func errorKind(_ envelope: [String: Any]) -> String? {
        (envelope["error"] as? [String: Any])?["kind"] as? String
    }

    @Test("NULL requests are invalid_request errors")
    func nullRequests() throws {
        for (name, handler) in Self.handlers {
            #expect(Self.errorKind(try Self.envelope(handler(nil))) == "invalid_request", "\(name)")
        }
        #expect(Self.errorKind(try Self.envelope(dr_host_probe(nil))) == "invalid_request")
        dr_string_free(nil)
        dr_context_close(nil)
    }

    @Test("malformed JSON is a malformed_json error")
    func malformedJSON() throws {
        for (name, handler) in Self.handlers {
            for text in ["", "{", "[1,", "nul", "{\"config\": }", "\u{1}\u{2}"] {
                let kind = Self.errorKind(try Self.envelope(text.withCString(handler)))
                #expect(kind == "malformed_json", "\(name) on \(text.debugDescription): \(kind ?? "ok")")
            }
        }
    }

    @Test("random and mutated requests never crash and always answer with one envelope")
    func randomRequests() throws {
        var generator = SeededGenerator(seed: 0x5eed)
        let seeds = [
            #"{"config": {"ring_mode": "auto", "ring_size": 4096}, "host": null}"#,
            #"{"kvm_xml": "<kvm><hidden state='on'/></kvm>", "ring_size": 4096}"#,
            #"{"config": {}, "host_name": "h", "instance_ring_size": 4096, "host": {}}"#,
            #"{"memory_mib": 2048, "dirty_rate_megabytes_per_second": 120, "bandwidth_megabytes_per_second": 100, "max_downtime_ms": 500, "deadline_seconds": 1600}"#,
            #"{"action": "reject", "libvirt": {"live_migration_bandwidth": 0, "live_migration_downtime": 500, "live_migration_completion_timeout": 800}, "assumed_bandwidth_megabytes_per_second": 1250, "no_timeout_deadline_seconds": 600, "measurement": {"domain": "d", "uuid": "u", "mode": "dirty-bitmap", "period_seconds": 1, "megabytes_per_second": 120, "vcpu_megabytes_per_second": [], "memory_mib": 2048, "vcpus": 1, "ring_size": 0, "measured_at": "2026-11-28T04:24:19Z"}}"#,
        ]
        let alphabet = Array(#"{}[]":,<>/='0123456789-eE.truefalsnul kvm\ "#.utf8)
        for round in 0..<3000 {
            var bytes = Array(seeds[round % seeds.count].utf8)
            for _ in 0...(Int(generator.next() % 6)) where !bytes.isEmpty {
                let index = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[index] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: index)
                default: bytes.insert(UInt8(truncatingIfNeeded: generator.next() % 255 + 1), at: index)
                }
            }
            let (_, handler) = Self.handlers[round % Self.handlers.count]
            let pointer = bytes.withUnsafeBufferPointer { buffer in
                (buffer.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer { handler($0.baseAddress) }
            }
            _ = try Self.envelope(pointer)
        }
    }

    @Test("deeply nested input is refused, not a stack overflow")
    func deepNesting() throws {
        let json = String(repeating: "[", count: 100_000)
        for (_, handler) in Self.handlers {
            #expect(Self.errorKind(try Self.envelope(json.withCString(handler))) != nil)
        }
        let xml = #"{"kvm_xml": ""# + String(repeating: "<a>", count: 100_000) + #"", "ring_size": 4096}"#
        #expect(Self.errorKind(try Self.envelope(xml.withCString(dr_kvm_element))) == "malformed_xml")
    }

    @Test("a context handle that is not open is an error")
    func staleHandles() throws {
        let bogus = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        defer { bogus.deallocate() }
        #expect(Self.errorKind(try Self.envelope(dr_host_probe(bogus))) == "invalid_request")
        dr_context_close(bogus)
    }

    @Test("the migration-watch functions answer NULL, stale handles and bad requests with errors")
    func watchHandles() throws {
        let bogus = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        defer { bogus.deallocate() }
        for handle in [nil, bogus] {
            #expect(Self.errorKind(try Self.envelope(dr_migration_watch_status(handle))) == "invalid_request")
            #expect(Self.errorKind(try Self.envelope("aborted".withCString { dr_migration_watch_stop(handle, $0, 0) }))
                == "invalid_request")
            #expect(Self.errorKind(try Self.envelope(dr_throttles_lift_leftovers(handle, nil))) == "invalid_request")
            var error: UnsafeMutablePointer<CChar>?
            let watch = "{}".withCString { dr_migration_watch_start(handle, nil, $0, &error) }
            #expect(watch == nil)
            #expect(Self.errorKind(try Self.envelope(error)) == "invalid_request")
        }
        #expect(Self.errorKind(try Self.envelope(dr_migration_watch_stop(nil, nil, 0))) == "invalid_request")
        #expect(Self.errorKind(try Self.envelope("maybe".withCString { dr_migration_watch_stop(bogus, $0, 0) }))
            == "invalid_request")
    }

    @Test("a context with a bad configuration is refused with an error document")
    func badContextConfiguration() throws {
        for text in ["{", #"{"timeout_seconds": -1}"#, #"{"libvirt_uri": 5}"#] {
            var error: UnsafeMutablePointer<CChar>?
            let context = text.withCString { dr_context_open($0, nil, &error) }
            #expect(context == nil)
            #expect(Self.errorKind(try Self.envelope(error)) != nil, "\(text)")
        }
        var error: UnsafeMutablePointer<CChar>?
        #expect(dr_context_open(nil, nil, &error) == nil)
        #expect(Self.errorKind(try Self.envelope(error)) == "invalid_request")
    }

    @Test("the ABI version matches the header")
    func abiVersion() {
        #expect(dr_abi_version() == 2)
    }
}
