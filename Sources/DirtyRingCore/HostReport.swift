/// Everything the library knows about a compute host: the `host` JSON shape of the C ABI.
public struct HostReport: Codable, Equatable, Sendable {
    public var kvm: KVMFacts
    /// `uname -r`.
    public var kernelRelease: String
    public var libvirtVersion: Version?
    public var qemuVersion: Version?
    /// The verdict drawn from the facts above.
    public var dirtyRing: HostSupport
    /// Whether dirty-ring operations proved safe here; unknown until checked.
    public var ringSelftest: RingSelftest

    public init(
        kvm: KVMFacts, kernelRelease: String, libvirtVersion: Version?, qemuVersion: Version?,
        dirtyRing: HostSupport, ringSelftest: RingSelftest = .unknown
    ) {
        self.kvm = kvm
        self.kernelRelease = kernelRelease
        self.libvirtVersion = libvirtVersion
        self.qemuVersion = qemuVersion
        self.dirtyRing = dirtyRing
        self.ringSelftest = ringSelftest
    }

    /// A report whose verdict is assessed from the facts.
    public init(
        kvm: KVMFacts, kernelRelease: String, libvirtVersion: Version?, qemuVersion: Version?,
        ringSelftest: RingSelftest = .unknown
    ) {
        self.init(
            kvm: kvm, kernelRelease: kernelRelease, libvirtVersion: libvirtVersion,
            qemuVersion: qemuVersion,
            dirtyRing: HostSupport.assess(kvm: kvm, libvirt: libvirtVersion, qemu: qemuVersion),
            ringSelftest: ringSelftest)
    }

    enum CodingKeys: String, CodingKey {
        case kvm
        case kernelRelease = "kernel_release"
        case libvirtVersion = "libvirt_version"
        case qemuVersion = "qemu_version"
        case dirtyRing = "dirty_ring"
        case ringSelftest = "ring_selftest"
    }

    /// Decodes the `host` shape; a missing `dirty_ring` is assessed from the facts, a missing
    /// `ring_selftest` is unknown.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kvm = try container.decode(KVMFacts.self, forKey: .kvm)
        let libvirt = try container.decodeIfPresent(Version.self, forKey: .libvirtVersion)
        let qemu = try container.decodeIfPresent(Version.self, forKey: .qemuVersion)
        self.init(
            kvm: kvm,
            kernelRelease: try container.decodeIfPresent(String.self, forKey: .kernelRelease) ?? "",
            libvirtVersion: libvirt, qemuVersion: qemu,
            dirtyRing: try container.decodeIfPresent(HostSupport.self, forKey: .dirtyRing)
                ?? HostSupport.assess(kvm: kvm, libvirt: libvirt, qemu: qemu),
            ringSelftest: try container.decodeIfPresent(RingSelftest.self, forKey: .ringSelftest) ?? .unknown)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kvm, forKey: .kvm)
        try container.encode(kernelRelease, forKey: .kernelRelease)
        try container.encode(libvirtVersion, forKey: .libvirtVersion)
        try container.encode(qemuVersion, forKey: .qemuVersion)
        try container.encode(dirtyRing, forKey: .dirtyRing)
        try container.encode(ringSelftest, forKey: .ringSelftest)
    }
}
