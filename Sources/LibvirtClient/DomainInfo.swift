internal import CLibvirt

/// A domain's basic facts (`virDomainGetInfo`).
public struct DomainInfo: Sendable, Equatable {
    /// Whether the domain is running (not paused, shut off or crashed).
    public var isRunning: Bool
    /// Maximum memory in KiB.
    public var maxMemoryKiB: UInt64
    /// Current memory in KiB.
    public var memoryKiB: UInt64
    public var vcpus: Int
    /// CPU time used, in nanoseconds.
    public var cpuTimeNanoseconds: UInt64
}

extension Domain {
    /// The domain's state, memory, vCPU count and CPU time.
    public func info() throws(LibvirtError) -> DomainInfo {
        var info = virDomainInfo()
        guard virDomainGetInfo(pointer, &info) == 0 else {
            throw LibvirtError.takeLast(operation: "virDomainGetInfo")
        }
        return DomainInfo(
            isRunning: Int32(info.state) == Int32(VIR_DOMAIN_RUNNING.rawValue),
            maxMemoryKiB: UInt64(info.maxMem), memoryKiB: UInt64(info.memory),
            vcpus: Int(info.nrVirtCpu), cpuTimeNanoseconds: UInt64(info.cpuTime))
    }

    /// The domain's current job: whether one runs and what it is (`virDomainGetJobStats`).
    public func activeJob() throws(LibvirtError) -> DomainJob {
        var type: Int32 = 0
        var parameters: virTypedParameterPtr?
        var count: Int32 = 0
        guard virDomainGetJobStats(pointer, &type, &parameters, &count, 0) == 0 else {
            throw LibvirtError.takeLast(operation: "virDomainGetJobStats")
        }
        defer { virTypedParamsFree(parameters, count) }
        let fields = TypedParameters(pointer: parameters, count: count)
        let running = type == Int32(VIR_DOMAIN_JOB_BOUNDED.rawValue) || type == Int32(VIR_DOMAIN_JOB_UNBOUNDED.rawValue)
        guard running else { return .none }
        let operation = fields.integer(VIR_DOMAIN_JOB_OPERATION).map(Int32.init(truncatingIfNeeded:))
        return operation == Int32(VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT.rawValue) ? .outgoingMigration : .other
    }
}

/// A domain's current job as libvirt reports it.
public enum DomainJob: Sendable, Equatable {
    /// No job runs.
    case none
    /// The domain is migrating out.
    case outgoingMigration
    /// Another job (save, dump, incoming migration...).
    case other
}
