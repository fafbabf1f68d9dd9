/// What a ring qualification was proven on: a change of any part makes the verdict stale.
public struct QualificationKey: Codable, Equatable, Sendable {
    /// `uname -r`.
    public var kernelRelease: String
    /// The KVM vendor module loaded (`kvm_intel`, `kvm_amd`, `kvm_pvm`), or "unknown".
    public var kvmModule: String
    /// The CPU's model name (`/proc/cpuinfo`): the same kernel behaves differently on another CPU.
    public var cpuModel: String
    public var libvirtVersion: String
    public var qemuVersion: String
    /// Entries per vCPU ring.
    public var ringSize: Int

    public init(
        kernelRelease: String, kvmModule: String, cpuModel: String, libvirtVersion: String,
        qemuVersion: String, ringSize: Int
    ) {
        self.kernelRelease = kernelRelease
        self.kvmModule = kvmModule
        self.cpuModel = cpuModel
        self.libvirtVersion = libvirtVersion
        self.qemuVersion = qemuVersion
        self.ringSize = ringSize
    }

    enum CodingKeys: String, CodingKey {
        case kernelRelease = "kernel_release"
        case kvmModule = "kvm_module"
        case cpuModel = "cpu_model"
        case libvirtVersion = "libvirt_version"
        case qemuVersion = "qemu_version"
        case ringSize = "ring_size"
    }

    /// What differs from `current`, one phrase a part ("QEMU 7.2.0, now 10.0.2"); empty when the
    /// two are the same.
    public func changes(to current: QualificationKey) -> [String] {
        let parts: [(String, String, String)] = [
            ("kernel", kernelRelease, current.kernelRelease),
            ("KVM module", kvmModule, current.kvmModule),
            ("CPU", cpuModel, current.cpuModel),
            ("libvirt", libvirtVersion, current.libvirtVersion),
            ("QEMU", qemuVersion, current.qemuVersion),
            ("ring size", String(ringSize), String(current.ringSize)),
        ]
        return parts.compactMap { name, was, now in was == now ? nil : "\(name) \(was), now \(now)" }
    }
}
