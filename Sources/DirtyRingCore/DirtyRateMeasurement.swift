/// One guest's measured dirty rate: the `measurement` JSON shape of the C ABI.
///
/// Exact modes count unique pages dirtied during the period, so a guest rewriting a working set
/// W at R MiB/s reads as min(R, W / period).
public struct DirtyRateMeasurement: Codable, Equatable, Sendable {
    /// The domain's name.
    public var domain: String
    public var uuid: String
    public var mode: DirtyRateMode
    public var periodSeconds: Int
    /// Total dirty rate in MiB/s (QEMU's "megabytes" are MiB).
    public var megabytesPerSecond: Double
    /// Per-vCPU dirty rates in MiB/s; empty unless measured in ring mode.
    public var vcpuMegabytesPerSecond: [Double]
    public var memoryMiB: Int
    public var vcpus: Int
    /// Entries per vCPU ring; 0 when the guest has no ring.
    public var ringSize: Int
    /// When the measurement ended, as ISO 8601 UTC ("2026-11-28T04:24:19Z").
    public var measuredAt: String

    public init(
        domain: String, uuid: String, mode: DirtyRateMode, periodSeconds: Int, megabytesPerSecond: Double,
        vcpuMegabytesPerSecond: [Double], memoryMiB: Int, vcpus: Int, ringSize: Int, measuredAt: String
    ) {
        self.domain = domain
        self.uuid = uuid
        self.mode = mode
        self.periodSeconds = periodSeconds
        self.megabytesPerSecond = megabytesPerSecond
        self.vcpuMegabytesPerSecond = vcpuMegabytesPerSecond
        self.memoryMiB = memoryMiB
        self.vcpus = vcpus
        self.ringSize = ringSize
        self.measuredAt = measuredAt
    }

    enum CodingKeys: String, CodingKey {
        case domain, uuid, mode, vcpus
        case periodSeconds = "period_seconds"
        case megabytesPerSecond = "megabytes_per_second"
        case vcpuMegabytesPerSecond = "vcpu_megabytes_per_second"
        case memoryMiB = "memory_mib"
        case ringSize = "ring_size"
        case measuredAt = "measured_at"
    }
}
