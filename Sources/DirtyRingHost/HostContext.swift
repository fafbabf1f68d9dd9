import DirtyRingCore
import HostKVM
import LibvirtClient

/// A libvirt connection and the host it runs on: what `dr_context_open` returns.
public final class HostContext: Sendable {
    public let configuration: ContextConfiguration
    let connection: Connection

    init(configuration: ContextConfiguration, connection: Connection) {
        self.configuration = configuration
        self.connection = connection
    }

    /// Opens a context, sharing `connection` (a `virConnectPtr`) or else opening the configured URI.
    public static func open(
        _ configuration: ContextConfiguration,
        sharing connection: UnsafeMutableRawPointer? = nil
    ) throws(DirtyRingError) -> HostContext {
        let configuration = try configuration.validated()
        if let connection {
            let shared = try DirtyRingError.mappingLibvirt { () throws(LibvirtError) in
                try Connection(sharing: connection)
            }
            return HostContext(configuration: configuration, connection: shared)
        }
        let uri = configuration.libvirtURI
        let opened = try BoundedCall.run("connecting to libvirt at \(uri)", seconds: configuration.timeoutSeconds) {
            () throws(DirtyRingError) -> Connection in
            try DirtyRingError.mappingLibvirt { () throws(LibvirtError) in try Connection(uri: uri) }
        }
        return HostContext(configuration: configuration, connection: opened)
    }

    /// Reads the host's KVM, kernel, CPU, libvirt and QEMU facts, whether the dirty ring can run,
    /// and whether it is qualified (for a ring of `ringSize` entries and every recorded size).
    public func probe(ringSize: Int = RingSize.default.entries) throws(DirtyRingError) -> HostReport {
        let connection = self.connection
        let versions = try BoundedCall.run("asking libvirt for its versions", seconds: configuration.timeoutSeconds) {
            () throws(DirtyRingError) -> (UInt, UInt) in
            try DirtyRingError.mappingLibvirt { () throws(LibvirtError) in
                (try connection.libvirtVersion(), try connection.hypervisorVersion())
            }
        }
        return HostReport(
            kvm: KVMProbe.facts(device: configuration.kvmDevice),
            kernelRelease: KernelInfo.release(),
            cpuModel: KernelInfo.cpuModel(),
            libvirtVersion: Version(libvirtInteger: Int(versions.0)),
            qemuVersion: versions.1 == 0 ? nil : Version(libvirtInteger: Int(versions.1)),
            qualifications: qualificationStore.loadAll(), ringSize: ringSize)
    }
}

extension DirtyRingError {
    /// Runs a libvirt call, turning its error into the one the C ABI reports.
    static func mappingLibvirt<T>(_ body: () throws(LibvirtError) -> T) throws(DirtyRingError) -> T {
        do {
            return try body()
        } catch {
            throw DirtyRingError(kind: .libvirt, message: error.message)
        }
    }
}

extension HostContext {
    /// The names of the running guests.
    public func runningDomainNames() throws(DirtyRingError) -> [String] {
        let connection = self.connection
        return try BoundedCall.run("listing running domains", seconds: configuration.timeoutSeconds) {
            () throws(DirtyRingError) -> [String] in
            try DirtyRingError.mappingLibvirt { () throws(LibvirtError) in
                try connection.activeDomains().map(\.name).sorted()
            }
        }
    }
}
