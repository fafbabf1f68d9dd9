internal import CLibvirt
#if canImport(Glibc)
import Glibc
#endif

/// A libvirt domain (a guest), holding its own reference.
public final class Domain: @unchecked Sendable {
    let pointer: virDomainPtr

    init(pointer: virDomainPtr) {
        self.pointer = pointer
    }

    deinit {
        virDomainFree(pointer)
    }

    /// The domain's name.
    public var name: String {
        virDomainGetName(pointer).map { String(cString: $0) } ?? ""
    }

    /// The domain's UUID as a string.
    public func uuid() throws(LibvirtError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
        guard virDomainGetUUIDString(pointer, &buffer) == 0 else {
            throw LibvirtError.takeLast(operation: "virDomainGetUUIDString")
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The domain's XML; `live` for the running definition (the default), else the persistent one.
    public func xmlDescription(inactive: Bool = false) throws(LibvirtError) -> String {
        let flags = inactive ? UInt32(VIR_DOMAIN_XML_INACTIVE.rawValue) : 0
        guard let xml = virDomainGetXMLDesc(pointer, flags) else {
            throw LibvirtError.takeLast(operation: "virDomainGetXMLDesc")
        }
        defer { free(xml) }
        return String(cString: xml)
    }

    /// Whether the domain is running.
    public func isActive() throws(LibvirtError) -> Bool {
        let active = virDomainIsActive(pointer)
        guard active >= 0 else { throw LibvirtError.takeLast(operation: "virDomainIsActive") }
        return active == 1
    }

    /// Stops the domain at once (a transient domain disappears).
    public func destroy() throws(LibvirtError) {
        guard virDomainDestroy(pointer) == 0 else {
            throw LibvirtError.takeLast(operation: "virDomainDestroy")
        }
    }
}
