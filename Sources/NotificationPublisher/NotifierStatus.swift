/// The notifier's state for operators and tests: the broker link, the queue, the counters since
/// it was opened, and the log lines not yet collected.
public struct NotifierStatus: Encodable, Sendable {
    /// Whether Nova's configuration publishes notifications at all.
    public var enabled: Bool
    /// `host:port` of the broker connected to, nil when not connected.
    public var broker: String?
    /// The broker has blocked the connection (a memory or disk alarm): publishing waits.
    public var blocked: Bool
    /// Accepted and not done yet (waiting, or sent and not confirmed).
    public var pending: Int
    /// Sent and awaiting the broker's confirm.
    public var unconfirmed: Int
    public var spoolDirectory: String
    /// Size of the spool's segment files.
    public var spoolBytes: Int
    /// Records found in the spool when it was opened (from an earlier process).
    public var recovered: Int
    /// Messages accepted by `notify` (one notification can be several messages).
    public var accepted: Int
    /// Messages of accepted requests that could not be read (each logged as an ERROR).
    public var invalid: Int
    /// Messages the broker confirmed.
    public var confirmed: Int
    /// Messages sent again (after a lost connection or a nack).
    public var resent: Int
    /// Messages dropped, oldest first, because the spool was full.
    public var dropped: Int
    /// Appends to the spool that failed (those messages were kept in memory only).
    public var spoolWriteErrors: Int
    /// The last broker or spool failure, nil when none since the last success.
    public var lastError: String?
    public var log: [NotifierLog.Entry]

    enum CodingKeys: String, CodingKey {
        case enabled, broker, blocked, pending, unconfirmed, recovered, accepted, invalid, confirmed, resent, dropped
        case log
        case spoolDirectory = "spool_dir", spoolBytes = "spool_bytes", spoolWriteErrors = "spool_write_errors"
        case lastError = "last_error"
    }
}
