import DirtyRingTestSupport
@testable import DirtyRingCore
import Foundation

/// Hosts and helpers shared by the tests.
enum Fixture {
    static func kvm(maxEntries: Int = 65536, available: Bool = true, error: String? = nil) -> KVMFacts {
        KVMFacts(available: available, module: "kvm_intel", dirtyRingMaxBytes: maxEntries &* 16,
                 dirtyRingMaxEntries: maxEntries, dirtyRingAcqRel: true, error: error)
    }

    /// A host; by default one that qualified every ring size (so it offers the ring).
    static func host(maxEntries: Int = 65536, libvirt: Version? = Version(9, 0, 0),
                     qemu: Version? = Version(7, 2, 0), available: Bool = true,
                     qualified: [Int] = RingSize.allowedValues.map(\.entries),
                     verdicts: [RingQualification] = []) -> HostReport {
        let facts = HostReport(
            kvm: kvm(maxEntries: maxEntries, available: available, error: available ? nil : "Permission denied"),
            kernelRelease: "6.1.0-18-amd64", cpuModel: "Test CPU", libvirtVersion: libvirt, qemuVersion: qemu)
        let passed = qualified.map { size in
            RingQualification(
                key: facts.qualificationKey(ringSize: size), checkedAt: "2026-12-07T10:00:00Z", seconds: 150,
                checks: QualificationCheck.Name.allCases.map {
                    QualificationCheck(name: $0, state: .passed, summary: "passed in the fixture")
                })
        }
        return HostReport(
            kvm: facts.kvm, kernelRelease: facts.kernelRelease, cpuModel: facts.cpuModel, libvirtVersion: libvirt,
            qemuVersion: qemu, qualifications: passed + verdicts)
    }

    static let unusableHost = host(libvirt: Version(7, 0, 0))

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    /// The envelope of a response: exactly one of ok and error.
    struct Response: Decodable {
        var ok: JSONValue?
        var error: DirtyRingError?
    }

    static func response(_ text: String) -> Response? {
        try? JSONDecoder().decode(Response.self, from: Data(text.utf8))
    }

    static func domainXML(_ name: String) throws -> String {
        try String(contentsOfFile: Repository.path("tox-data/domain-xml/" + name), encoding: .utf8)
    }
}
