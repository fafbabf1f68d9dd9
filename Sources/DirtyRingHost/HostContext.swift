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
            do {
                return HostContext(configuration: configuration, connection: try Connection(sharing: connection))
            } catch {
                throw DirtyRingError(libvirt: error)
            }
        }
        let uri = configuration.libvirtURI
        let opened = try BoundedCall.run("connecting to libvirt at \(uri)", seconds: configuration.timeoutSeconds) {
            () throws(DirtyRingError) -> Connection in
            do {
                return try Connection(uri: uri)
            } catch {
                throw DirtyRingError(libvirt: error)
            }
        }
        return HostContext(configuration: configuration, connection: opened)
    }

    /// Reads the host's KVM, kernel, libvirt and QEMU facts and whether the dirty ring can run.
    public func probe() throws(DirtyRingError) -> HostReport {
        let connection = self.connection
        let versions = try BoundedCall.run("asking libvirt for its versions", seconds: configuration.timeoutSeconds) {
            () throws(DirtyRingError) -> (UInt, UInt) in
            do {
                return (try connection.libvirtVersion(), try connection.hypervisorVersion())
            } catch {
                throw DirtyRingError(libvirt: error)
            }
        }
        return HostReport(
            kvm: KVMProbe.facts(device: configuration.kvmDevice),
            kernelRelease: KernelInfo.release(),
            libvirtVersion: Version(libvirtNumber: versions.0),
            qemuVersion: versions.1 == 0 ? nil : Version(libvirtNumber: versions.1))
    }
}

extension DirtyRingError {
    /// The error a failed libvirt call becomes at the C ABI.
    init(libvirt error: LibvirtError) {
        self.init(kind: .libvirt, message: error.message)
    }
}
