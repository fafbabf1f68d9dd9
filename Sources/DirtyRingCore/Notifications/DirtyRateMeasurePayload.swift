/// The fields of `instance.dirty_rate.measure`, the same in both formats (flat in the
/// unversioned payload, `nova_object.data` of `DirtyRateMeasurementPayload` 1.0 in the versioned
/// one). `megabytes_per_second` is what Ceilometer's `memory.dirty_rate` meter reads;
/// `tenant_id`/`user_id` are its project and user, as in Nova's own instance notifications.
public enum DirtyRateMeasurePayload {
    public static func data(_ measurement: DirtyRateMeasurement, host: String, tenantID: String,
                            userID: String) -> OsloJSON {
        .object([
            ("instance_uuid", .string(measurement.uuid)),
            ("tenant_id", .string(tenantID)),
            ("user_id", .string(userID)),
            ("host", .string(host)),
            ("mode", .string(measurement.mode.rawValue)),
            ("megabytes_per_second", .number(measurement.megabytesPerSecond)),
            ("vcpu_megabytes_per_second", .array(measurement.vcpuMegabytesPerSecond.map(OsloJSON.number))),
            ("period_seconds", .integer(measurement.periodSeconds)),
            ("memory_mib", .integer(measurement.memoryMiB)),
            ("vcpus", .integer(measurement.vcpus)),
            ("ring_size", .integer(measurement.ringSize)),
            ("measured_at", .string(measurement.measuredAt)),
        ])
    }
}
