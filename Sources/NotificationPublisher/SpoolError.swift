/// A failure of the notification spool: which operation, on which path, and the system's reason.
public struct SpoolError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The directory cannot be created, opened or written.
        case unusable
        /// Another process holds the spool (a second nova-compute on the same directory).
        case locked
        /// A read or write failed (disk full, I/O error).
        case io
    }

    public var kind: Kind
    public var path: String
    public var reason: String

    public init(kind: Kind, path: String, reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
