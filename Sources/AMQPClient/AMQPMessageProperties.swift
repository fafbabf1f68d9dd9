import DirtyRingCore

/// The basic content properties a publisher sets or a consumer reads; nil is absent.
public struct AMQPMessageProperties: Sendable {
    public var contentType: String?
    public var contentEncoding: String?
    /// Present (possibly empty) or absent. A value is nil when its field type has no
    /// `AMQPFieldValue` (floats, decimals, arrays, nested tables, timestamps, bytes, void).
    public var headers: [(String, AMQPFieldValue?)]?
    public var deliveryMode: UInt8?
    public var priority: UInt8?

    public init(contentType: String? = nil, contentEncoding: String? = nil, headers: [(String, AMQPFieldValue?)]? = nil,
                deliveryMode: UInt8? = nil, priority: UInt8? = nil) {
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.headers = headers
        self.deliveryMode = deliveryMode
        self.priority = priority
    }
}

extension AMQPMessageProperties: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.contentType == rhs.contentType && lhs.contentEncoding == rhs.contentEncoding
            && lhs.deliveryMode == rhs.deliveryMode && lhs.priority == rhs.priority
            && lhs.headers?.map(\.0) == rhs.headers?.map(\.0) && lhs.headers?.map(\.1) == rhs.headers?.map(\.1)
    }
}
