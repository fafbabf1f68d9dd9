internal import CLibvirt

/// An error reported by libvirt: its numeric code and domain, and its message.
public struct LibvirtError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `virErrorNumber`, e.g. 42 (`VIR_ERR_NO_DOMAIN`).
    public var code: Int32
    /// `virErrorDomain`: the libvirt subsystem that raised it.
    public var domain: Int32
    /// libvirt's own message.
    public var message: String

    public init(code: Int32, domain: Int32, message: String) {
        self.code = code
        self.domain = domain
        self.message = message
    }

    public var description: String { message }

    /// Whether the error says the domain does not exist.
    public var isNoDomain: Bool { code == Int32(VIR_ERR_NO_DOMAIN.rawValue) }

    /// Takes the calling thread's last libvirt error and clears it.
    static func takeLast(operation: String) -> LibvirtError {
        guard let error = virGetLastError() else {
            return LibvirtError(code: -1, domain: -1, message: "\(operation) failed without a libvirt error")
        }
        let message = error.pointee.message.map { String(cString: $0) } ?? "\(operation) failed"
        let result = LibvirtError(code: error.pointee.code, domain: error.pointee.domain, message: message)
        virResetLastError()
        return result
    }
}
