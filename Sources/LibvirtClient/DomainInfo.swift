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

    /// The domain's current job: whether one runs and what it is.
    public func activeJob() throws(LibvirtError) -> DomainJob {
        let job = try jobStatistics()
        guard job.running else { return .none }
        return job.outgoingMigration ? .outgoingMigration : .other
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
