internal import CLibvirt
#if canImport(Glibc)
import Glibc
#endif

/// The statistics libvirt reports for one domain (`virDomainListGetStats`).
public struct DomainStats: Sendable {
    /// The domain's name.
    public var name: String
    /// The typed fields, e.g. `dirtyrate.calc_status`, `vcpu.0.time`, `state.state`.
    public var fields: TypedParameters
}

/// Groups of domain statistics to read.
public struct DomainStatsGroups: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let state = DomainStatsGroups(rawValue: UInt32(VIR_DOMAIN_STATS_STATE.rawValue))
    public static let vcpu = DomainStatsGroups(rawValue: UInt32(VIR_DOMAIN_STATS_VCPU.rawValue))
    public static let balloon = DomainStatsGroups(rawValue: UInt32(VIR_DOMAIN_STATS_BALLOON.rawValue))
    public static let dirtyRate = DomainStatsGroups(rawValue: UInt32(VIR_DOMAIN_STATS_DIRTYRATE.rawValue))
}

extension Connection {
    /// Reads `groups` for all `domains` in one call; domains that stopped are left out.
    public func stats(of domains: [Domain], groups: DomainStatsGroups) throws(LibvirtError) -> [DomainStats] {
        guard !domains.isEmpty else { return [] }
        var pointers: [virDomainPtr?] = domains.map { $0.pointer }
        pointers.append(nil)
        var records: UnsafeMutablePointer<virDomainStatsRecordPtr?>?
        let count = pointers.withUnsafeMutableBufferPointer { buffer in
            virDomainListGetStats(buffer.baseAddress, groups.rawValue, &records, 0)
        }
        guard count >= 0 else { throw LibvirtError.takeLast(operation: "virDomainListGetStats") }
        defer { virDomainStatsRecordListFree(records) }
        guard let records else { return [] }
        var result: [DomainStats] = []
        for index in 0..<Int(count) {
            guard let record = records[index] else { continue }
            let name = record.pointee.dom.flatMap { virDomainGetName($0) }.map { String(cString: $0) } ?? ""
            result.append(DomainStats(
                name: name, fields: TypedParameters(pointer: record.pointee.params, count: record.pointee.nparams)))
        }
        return result
    }
}
