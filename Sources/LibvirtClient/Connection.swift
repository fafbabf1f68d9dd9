internal import CLibvirt
#if canImport(Glibc)
import Glibc
#endif

/// A connection to a libvirt hypervisor driver, opened here or shared with another client.
///
/// Thread-safe as libvirt connections are. Never installs a process-wide error handler.
public final class Connection: @unchecked Sendable {
    let pointer: virConnectPtr

    /// Opens `uri` (for example `qemu:///system`) read-write.
    public init(uri: String) throws(LibvirtError) {
        guard let pointer = virConnectOpen(uri) else {
            throw LibvirtError.takeLast(operation: "virConnectOpen(\(uri))")
        }
        self.pointer = pointer
    }

    /// Shares a connection another client opened (a raw `virConnectPtr`), taking a reference.
    public init(sharing raw: UnsafeMutableRawPointer) throws(LibvirtError) {
        let pointer = virConnectPtr(raw)
        guard virConnectRef(pointer) == 0 else {
            throw LibvirtError.takeLast(operation: "virConnectRef")
        }
        self.pointer = pointer
    }

    deinit {
        virConnectClose(pointer)
    }

    /// The version of libvirt serving this connection (the daemon's, for a remote driver).
    public func libvirtVersion() throws(LibvirtError) -> UInt {
        var version: UInt = 0
        guard virConnectGetLibVersion(pointer, &version) == 0 else {
            throw LibvirtError.takeLast(operation: "virConnectGetLibVersion")
        }
        return version
    }

    /// The version of the hypervisor (QEMU), in libvirt's integer form.
    public func hypervisorVersion() throws(LibvirtError) -> UInt {
        var version: UInt = 0
        guard virConnectGetVersion(pointer, &version) == 0 else {
            throw LibvirtError.takeLast(operation: "virConnectGetVersion")
        }
        return version
    }

    /// The host name libvirt reports.
    public func hostname() throws(LibvirtError) -> String {
        guard let name = virConnectGetHostname(pointer) else {
            throw LibvirtError.takeLast(operation: "virConnectGetHostname")
        }
        defer { free(name) }
        return String(cString: name)
    }

    /// The host's capabilities XML (`virConnectGetCapabilities`).
    public func capabilities() throws(LibvirtError) -> String {
        guard let xml = virConnectGetCapabilities(pointer) else {
            throw LibvirtError.takeLast(operation: "virConnectGetCapabilities")
        }
        defer { free(xml) }
        return String(cString: xml)
    }

    /// Looks up a domain by name.
    public func domain(named name: String) throws(LibvirtError) -> Domain {
        guard let domain = virDomainLookupByName(pointer, name) else {
            throw LibvirtError.takeLast(operation: "virDomainLookupByName(\(name))")
        }
        return Domain(pointer: domain)
    }

    /// Looks up a domain by UUID string.
    public func domain(uuid: String) throws(LibvirtError) -> Domain {
        guard let domain = virDomainLookupByUUIDString(pointer, uuid) else {
            throw LibvirtError.takeLast(operation: "virDomainLookupByUUIDString(\(uuid))")
        }
        return Domain(pointer: domain)
    }

    /// Creates and starts a transient domain from its XML.
    public func createDomain(xml: String) throws(LibvirtError) -> Domain {
        guard let domain = virDomainCreateXML(pointer, xml, 0) else {
            throw LibvirtError.takeLast(operation: "virDomainCreateXML")
        }
        return Domain(pointer: domain)
    }

    /// The running domains.
    public func activeDomains() throws(LibvirtError) -> [Domain] {
        var list: UnsafeMutablePointer<virDomainPtr?>?
        let flags = UInt32(VIR_CONNECT_LIST_DOMAINS_ACTIVE.rawValue)
        let count = virConnectListAllDomains(pointer, &list, flags)
        guard count >= 0 else { throw LibvirtError.takeLast(operation: "virConnectListAllDomains") }
        defer { free(list) }
        guard let list else { return [] }
        return (0..<Int(count)).compactMap { list[$0].map(Domain.init(pointer:)) }
    }
}
