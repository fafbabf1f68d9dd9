/// The answer to QMP `query-migrate` on the source, as far as the integrity check needs it.
public struct QEMUMigrationStatus: Equatable, Sendable {
    /// `none`, `setup`, `active`, `device`, `completed`, `failed`, `cancelling`, `cancelled`, ...
    public var status: String
    /// `total-time`, ms (elapsed so far while active).
    public var totalMilliseconds: Int?
    public var downtimeMilliseconds: Int?
    /// `ram.dirty-sync-count`: pre-copy rounds.
    public var dirtySyncCount: Int?
    /// `ram.transferred`, bytes.
    public var transferredBytes: Int?
    /// `ram.remaining`, bytes.
    public var remainingBytes: Int?
    /// `error-desc`, when the migration failed.
    public var errorDescription: String?

    /// Reads a `query-migrate` return value; nil when it is not an object.
    public init?(_ value: OsloJSON) {
        guard case .object = value else { return nil }
        status = value["status"]?.stringValue ?? "none"
        totalMilliseconds = value["total-time"]?.integerValue
        downtimeMilliseconds = value["downtime"]?.integerValue
        dirtySyncCount = value["ram"]?["dirty-sync-count"]?.integerValue
        transferredBytes = value["ram"]?["transferred"]?.integerValue
        remainingBytes = value["ram"]?["remaining"]?.integerValue
        errorDescription = value["error-desc"]?.stringValue
    }

    /// The migration ended (well or not): nothing more will change.
    public var isFinal: Bool { ["completed", "failed", "cancelled"].contains(status) }
}

extension OsloJSON {
    /// The string, when this is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The integer, when this is one (or a float with an integral value in range).
    public var integerValue: Int? {
        switch self {
        case .integer(let value): return value
        case .number(let value):
            guard value.isFinite, value == value.rounded(), abs(value) < 9e18 else { return nil }
            return Int(value)
        default: return nil
        }
    }
}
