internal import CLibvirt
#if canImport(Glibc)
import Glibc
#endif

/// A domain's current job and its statistics (`virDomainGetJobStats`).
public struct JobStatistics: Sendable, Equatable {
    /// Whether a job runs.
    public var running: Bool
    /// Whether it is an outgoing migration.
    public var outgoingMigration: Bool
    /// The numeric fields, e.g. `memory_remaining`, `time_elapsed`.
    public var numbers: [String: Double]
}

extension Domain {
    /// The current job's statistics.
    public func jobStatistics() throws(LibvirtError) -> JobStatistics {
        var type: Int32 = 0
        var parameters: virTypedParameterPtr?
        var count: Int32 = 0
        guard virDomainGetJobStats(pointer, &type, &parameters, &count, 0) == 0 else {
            throw LibvirtError.takeLast(operation: "virDomainGetJobStats")
        }
        defer { virTypedParamsFree(parameters, count) }
        let fields = TypedParameters(pointer: parameters, count: count)
        let running = type == Int32(VIR_DOMAIN_JOB_BOUNDED.rawValue) || type == Int32(VIR_DOMAIN_JOB_UNBOUNDED.rawValue)
        let operation = fields.integer(VIR_DOMAIN_JOB_OPERATION).map(Int32.init(truncatingIfNeeded:))
        return JobStatistics(
            running: running,
            outgoingMigration: running && operation == Int32(VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT.rawValue),
            numbers: fields.values.compactMapValues(\.number))
    }

    /// Sends one QMP command (JSON text) to the domain's QEMU and returns its JSON answer.
    ///
    /// libvirt marks the domain tainted ("custom-monitor") on the first such command.
    public func qemuMonitorCommand(_ command: String) throws(LibvirtError) -> String {
        var answer: UnsafeMutablePointer<CChar>?
        guard virDomainQemuMonitorCommand(pointer, command, &answer, 0) == 0, let answer else {
            throw LibvirtError.takeLast(operation: "virDomainQemuMonitorCommand")
        }
        defer { free(answer) }
        return String(cString: answer)
    }
}
