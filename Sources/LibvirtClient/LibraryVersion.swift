internal import CLibvirt

/// The libvirt client library loaded into this process.
public enum LibraryVersion {
    /// The client library's version in libvirt's integer form (major * 1,000,000 + minor * 1,000 + micro).
    public static func client() -> UInt? {
        var version: UInt = 0
        guard virGetVersion(&version, nil, nil) == 0 else {
            virResetLastError()
            return nil
        }
        return version
    }
}
