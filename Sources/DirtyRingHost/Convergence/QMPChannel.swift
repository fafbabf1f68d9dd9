import DirtyRingCore
import LibvirtClient

/// Sends QMP commands to one guest's QEMU.
public protocol QMPChannel: Sendable {
    /// Sends `command` (JSON text); returns QEMU's answer (JSON text). Throws `no_domain` when
    /// the guest is gone or stopped.
    func execute(_ command: String) throws(DirtyRingError) -> String
}

/// libvirt's QEMU monitor pass-through (`virDomainQemuMonitorCommand`), bounded by the
/// context's timeout.
struct DomainQMPChannel: QMPChannel {
    let domain: Domain
    let timeoutSeconds: Double

    func execute(_ command: String) throws(DirtyRingError) -> String {
        let domain = self.domain
        return try BoundedCall.run("sending \(command) to QEMU", seconds: timeoutSeconds) {
            () throws(DirtyRingError) -> String in
            try DirtyRingError.mappingDomain { () throws(LibvirtError) in try domain.qemuMonitorCommand(command) }
        }
    }
}

extension DirtyRingError {
    /// Runs a libvirt call on a domain: a domain that is gone or not running is `no_domain`,
    /// any other failure `libvirt`.
    static func mappingDomain<T>(_ body: () throws(LibvirtError) -> T) throws(DirtyRingError) -> T {
        do {
            return try body()
        } catch {
            let gone = error.isNoDomain || error.isOperationInvalid
            throw DirtyRingError(kind: gone ? .noDomain : .libvirt, message: error.message)
        }
    }
}
