import DirtyRingCore

/// The request of `dr_ring_qualify`.
public struct QualifyRequest: Decodable, Sendable {
    /// The canary kernel, readable by libvirt's QEMU.
    public var kernelPath: String
    /// Entries per vCPU ring to qualify.
    public var ringSize: Int

    enum CodingKeys: String, CodingKey {
        case kernelPath = "kernel_path"
        case ringSize = "ring_size"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kernelPath = try container.decodeIfPresent(String.self, forKey: .kernelPath) ?? CanaryDomain.defaultKernelPath
        ringSize = try container.decodeIfPresent(Int.self, forKey: .ringSize) ?? RingSize.default.entries
    }
}
