/// The payload of a versioned notification: what `oslo.versionedobjects`' `obj_to_primitive()`
/// returns for a Nova notification payload object, whose changes Nova resets before emitting:
/// `nova_object.name`, `nova_object.namespace`, `nova_object.version`, `nova_object.data`, in
/// that order; `data` holds the set fields in declaration order.
public struct VersionedPayload: Equatable, Sendable {
    /// Our payload objects' namespace (Nova's own are `nova`).
    public static let namespace = "nova-dirtyring"

    public var name: String
    public var namespace: String
    public var version: String
    public var data: OsloJSON

    public init(name: String, namespace: String = Self.namespace, version: String = "1.0", data: OsloJSON) {
        self.name = name
        self.namespace = namespace
        self.version = version
        self.data = data
    }

    public var json: OsloJSON {
        .object([
            ("nova_object.name", .string(name)),
            ("nova_object.namespace", .string(namespace)),
            ("nova_object.version", .string(version)),
            ("nova_object.data", data),
        ])
    }
}
