#if canImport(Glibc)
import Glibc
#endif

/// A failure to query the KVM device: the operation, the device path and the system error.
public struct KVMError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was being done: `open` or `ioctl`.
    public var operation: String
    /// The device path.
    public var path: String
    /// The `errno` value the system returned.
    public var code: Int32

    public init(operation: String, path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(code)))"
    }
}
