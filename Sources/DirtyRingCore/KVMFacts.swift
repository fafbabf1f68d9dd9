/// What the kernel's KVM reports about the dirty ring on this host.
public struct KVMFacts: Codable, Equatable, Sendable {
    /// The KVM device probed, normally `/dev/kvm`.
    public var device: String
    /// Whether the device could be opened and answered.
    public var available: Bool
    /// The vendor module loaded (`kvm_intel`, `kvm_amd`, ...), when known.
    public var module: String?
    /// `KVM_CHECK_EXTENSION(KVM_CAP_DIRTY_LOG_RING)`: the largest ring in bytes, 0 when absent.
    public var dirtyRingMaxBytes: Int
    /// The largest ring in entries (16 bytes each), 0 when absent.
    public var dirtyRingMaxEntries: Int
    /// Whether `KVM_CAP_DIRTY_LOG_RING_ACQ_REL` is present.
    public var dirtyRingAcqRel: Bool
    /// Why the device is unavailable, when it is.
    public var error: String?

    public init(
        device: String = "/dev/kvm", available: Bool, module: String? = nil,
        dirtyRingMaxBytes: Int, dirtyRingMaxEntries: Int, dirtyRingAcqRel: Bool = false,
        error: String? = nil
    ) {
        self.device = device
        self.available = available
        self.module = module
        self.dirtyRingMaxBytes = dirtyRingMaxBytes
        self.dirtyRingMaxEntries = dirtyRingMaxEntries
        self.dirtyRingAcqRel = dirtyRingAcqRel
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case device, available, module, error
        case dirtyRingMaxBytes = "dirty_ring_max_bytes"
        case dirtyRingMaxEntries = "dirty_ring_max_entries"
        case dirtyRingAcqRel = "dirty_ring_acq_rel"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(device, forKey: .device)
        try container.encode(available, forKey: .available)
        try container.encode(module, forKey: .module)
        try container.encode(dirtyRingMaxBytes, forKey: .dirtyRingMaxBytes)
        try container.encode(dirtyRingMaxEntries, forKey: .dirtyRingMaxEntries)
        try container.encode(dirtyRingAcqRel, forKey: .dirtyRingAcqRel)
        try container.encode(error, forKey: .error)
    }
}
