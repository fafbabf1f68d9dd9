/// Everything the library knows about a compute host: the `host` JSON shape of the C ABI.
public struct HostReport: Codable, Equatable, Sendable {
    public var kvm: KVMFacts
    /// `uname -r`.
    public var kernelRelease: String
    /// The CPU's model name.
    public var cpuModel: String
    public var libvirtVersion: Version?
    public var qemuVersion: Version?
    /// The verdict drawn from the facts above and the host's ring qualifications.
    public var dirtyRing: HostSupport

    public init(
        kvm: KVMFacts, kernelRelease: String, cpuModel: String = "unknown", libvirtVersion: Version?,
        qemuVersion: Version?, dirtyRing: HostSupport
    ) {
        self.kvm = kvm
        self.kernelRelease = kernelRelease
        self.cpuModel = cpuModel
        self.libvirtVersion = libvirtVersion
        self.qemuVersion = qemuVersion
        self.dirtyRing = dirtyRing
    }

    /// A report whose verdict is assessed from the facts and the recorded qualifications
    /// (each held against these facts), judged for a ring of `ringSize` entries.
    public init(
        kvm: KVMFacts, kernelRelease: String, cpuModel: String = "unknown", libvirtVersion: Version?,
        qemuVersion: Version?, qualifications: [RingQualification] = [], ringSize: Int = RingSize.default.entries
    ) {
        self.init(
            kvm: kvm, kernelRelease: kernelRelease, cpuModel: cpuModel, libvirtVersion: libvirtVersion,
            qemuVersion: qemuVersion,
            dirtyRing: HostSupport.assess(kvm: kvm, libvirt: libvirtVersion, qemu: qemuVersion))
        let verdicts = qualifications.compactMap { verdict in
            verdict.key.map { verdict.holding(for: qualificationKey(ringSize: $0.ringSize)) }
        }
        dirtyRing = dirtyRing.qualified(ringSize: ringSize, verdicts: verdicts)
    }

    /// The facts a qualification of a ring of `ringSize` entries is keyed to.
    public func qualificationKey(ringSize: Int) -> QualificationKey {
        QualificationKey(
            kernelRelease: kernelRelease, kvmModule: kvm.module ?? "unknown", cpuModel: cpuModel,
            libvirtVersion: libvirtVersion?.description ?? "unknown", qemuVersion: qemuVersion?.description ?? "unknown",
            ringSize: ringSize)
    }

    enum CodingKeys: String, CodingKey {
        case kvm
        case kernelRelease = "kernel_release"
        case cpuModel = "cpu_model"
        case libvirtVersion = "libvirt_version"
        case qemuVersion = "qemu_version"
        case dirtyRing = "dirty_ring"
    }

    /// Decodes the `host` shape; a missing `dirty_ring` is assessed from the facts (and then
    /// qualifies no ring).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kvm = try container.decode(KVMFacts.self, forKey: .kvm)
        let libvirt = try container.decodeIfPresent(Version.self, forKey: .libvirtVersion)
        let qemu = try container.decodeIfPresent(Version.self, forKey: .qemuVersion)
        self.init(
            kvm: kvm,
            kernelRelease: try container.decodeIfPresent(String.self, forKey: .kernelRelease) ?? "",
            cpuModel: try container.decodeIfPresent(String.self, forKey: .cpuModel) ?? "unknown",
            libvirtVersion: libvirt, qemuVersion: qemu,
            dirtyRing: try container.decodeIfPresent(HostSupport.self, forKey: .dirtyRing)
                ?? HostSupport.assess(kvm: kvm, libvirt: libvirt, qemu: qemu))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kvm, forKey: .kvm)
        try container.encode(kernelRelease, forKey: .kernelRelease)
        try container.encode(cpuModel, forKey: .cpuModel)
        try container.encode(libvirtVersion, forKey: .libvirtVersion)
        try container.encode(qemuVersion, forKey: .qemuVersion)
        try container.encode(dirtyRing, forKey: .dirtyRing)
    }
}
