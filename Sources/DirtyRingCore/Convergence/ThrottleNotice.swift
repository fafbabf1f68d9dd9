/// The `dr_notify` requests of `instance.live_migration_throttle.start` and `.end`: the
/// instance and the `throttle` fields, which go into the payload as they are.
///
/// Start: `method`, `reason`, `vcpus`, `dirty_limit_megabytes_per_second` (per vCPU, null unless
/// dirty-limit), `auto_converge_percent` (null unless auto-converge), `elapsed_seconds`,
/// `remaining_megabytes`, `dirty_rate_megabytes_per_second` and `bandwidth_megabytes_per_second`
/// (QEMU's, at the change), `deadline_seconds`, `ineffective_method` (the method this change
/// drops because it showed no effect, with `method` the one that takes over, `none` when nothing
/// may; null for any other change). End: `method`, `result` (how the migration
/// ended: completed, failed, aborted; or `restarted` for one lifted when nova-compute starts),
/// `duration_seconds` (since the first change), `removed` (whether no throttle is left),
/// `reason`.
public enum ThrottleNotice {
    /// A throttle starts or changes.
    public static func start(
        instance: MigrationWatchRequest.Instance, method: ThrottleMethod, reason: String, vcpus: Int,
        dirtyLimit: Int?, autoConvergePercent: Int?, progress: MigrationProgress, deadlineSeconds: Double,
        ineffectiveMethod: ThrottleMethod? = nil
    ) -> String {
        request(.throttleStart, instance, [
            ("method", .string(method.rawValue)),
            ("reason", .string(reason)),
            ("vcpus", .integer(vcpus)),
            ("dirty_limit_megabytes_per_second", dirtyLimit.map { .number(Double($0)) } ?? .null),
            ("auto_converge_percent", autoConvergePercent.map { .integer($0) } ?? .null),
            ("elapsed_seconds", .number(progress.elapsedSeconds)),
            ("remaining_megabytes", .number(progress.memoryRemainingMiB)),
            ("dirty_rate_megabytes_per_second", .number(progress.dirtyRateMiB)),
            ("bandwidth_megabytes_per_second", .number(progress.bandwidthMiB)),
            ("deadline_seconds", .number(deadlineSeconds)),
            ("ineffective_method", ineffectiveMethod.map { .string($0.rawValue) } ?? .null),
        ])
    }

    /// The throttle ends.
    public static func end(
        instance: MigrationWatchRequest.Instance, method: ThrottleMethod, result: String, durationSeconds: Double,
        removed: Bool, reason: String
    ) -> String {
        request(.throttleEnd, instance, [
            ("method", .string(method.rawValue)),
            ("result", .string(result)),
            ("duration_seconds", .number(durationSeconds)),
            ("removed", .bool(removed)),
            ("reason", .string(reason)),
        ])
    }

    private static func request(
        _ event: NotificationEvent, _ instance: MigrationWatchRequest.Instance, _ throttle: [(String, OsloJSON)]
    ) -> String {
        OsloJSON.object([
            ("event", .string(event.eventType)),
            ("instance", .object([
                ("uuid", .string(instance.uuid)),
                ("tenant_id", .string(instance.tenantID)),
                ("user_id", .string(instance.userID)),
            ])),
            ("throttle", .object(throttle)),
        ]).serialized
    }
}
