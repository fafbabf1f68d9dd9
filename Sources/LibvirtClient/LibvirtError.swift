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

    /// Whether libvirt or QEMU says the operation is not supported (for this domain or build).
    public var isUnsupported: Bool {
        code == Int32(VIR_ERR_OPERATION_UNSUPPORTED.rawValue) || code == Int32(VIR_ERR_NO_SUPPORT.rawValue)
            || code == Int32(VIR_ERR_ARGUMENT_UNSUPPORTED.rawValue)
    }

    /// Whether the operation is not valid in the domain's current state (e.g. not running).
    public var isOperationInvalid: Bool { code == Int32(VIR_ERR_OPERATION_INVALID.rawValue) }

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
