#if canImport(Glibc)
import Glibc
#endif

/// The KVM device (`/dev/kvm`) and the dirty-ring capabilities its kernel reports.
public struct KVMDevice: Sendable {
    /// Dirty-ring capabilities of the running kernel.
    public struct DirtyRingCapability: Equatable, Sendable {
        /// Largest ring per vCPU in bytes; 0 when the kernel has no dirty ring.
        public var maximumBytes: Int
        /// Whether the kernel offers the acquire/release ring (`KVM_CAP_DIRTY_LOG_RING_ACQ_REL`).
        public var acquireRelease: Bool

        /// Size of one ring entry (`struct kvm_dirty_gfn`) in bytes.
        public static let entryBytes = 16

        /// Largest ring per vCPU in entries.
        public var maximumEntries: Int { maximumBytes / Self.entryBytes }

        public init(maximumBytes: Int, acquireRelease: Bool) {
            self.maximumBytes = maximumBytes
            self.acquireRelease = acquireRelease
        }
    }

    /// `KVM_CHECK_EXTENSION`: `_IO(KVMIO = 0xAE, 0x03)`.
    static let checkExtension: UInt = 0xAE03
    /// `KVM_CAP_DIRTY_LOG_RING`.
    static let capDirtyLogRing: Int32 = 192
    /// `KVM_CAP_DIRTY_LOG_RING_ACQ_REL`.
    static let capDirtyLogRingAcqRel: Int32 = 223

    /// Path of the device, normally `/dev/kvm`.
    public var path: String

    public init(path: String = "/dev/kvm") {
        self.path = path
    }

    /// Queries the kernel's dirty-ring capabilities through `KVM_CHECK_EXTENSION`.
    public func dirtyRingCapability() throws(KVMError) -> DirtyRingCapability {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw KVMError(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        let bytes = ioctl(fd, Self.checkExtension, Self.capDirtyLogRing)
        guard bytes >= 0 else { throw KVMError(operation: "ioctl", path: path, code: errno) }
        let acqRel = ioctl(fd, Self.checkExtension, Self.capDirtyLogRingAcqRel)
        return DirtyRingCapability(maximumBytes: Int(bytes), acquireRelease: acqRel > 0)
    }
}
