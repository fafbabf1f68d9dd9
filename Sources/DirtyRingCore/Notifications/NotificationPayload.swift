/// The payload fields of each event of the catalogue, built from the library's own documents
/// (a measurement, a pre-flight decision, a measurement error) and the instance they concern.
/// The same fields go flat into the unversioned payload and into `nova_object.data` of the
/// versioned one; numbers that are rates, times or sizes in MB are always floats.
///
/// Request (what `dr_notify` is given besides `event`):
/// `{"instance": {"uuid", "tenant_id", "user_id"}, "measurement": measurement,
///   "precheck": {"action", "action_source", "decision": decision},
///   "fault": {"ring_size": int, "error": error}, "throttle": {...}}`
/// with the members each event needs.
public enum NotificationPayload {
    /// The fields of `event` for `request`, on host `host`.
    public static func data(for event: NotificationEvent, request: OsloJSON, host: String) throws(DirtyRingError) -> OsloJSON {
        var fields = try identity(request, host: host)
        switch event {
        case .dirtyRateMeasure:
            fields += try measurementFields(try member(request, "measurement"))
        case .precheckAccept, .precheckThrottle, .precheckReject:
            let precheck = try member(request, "precheck")
            let decision = try member(precheck, "decision", in: "precheck")
            let verdict = try string(decision, "verdict", in: "precheck.decision")
            guard "instance.live_migration_precheck." + verdict == event.eventType else {
                throw DirtyRingError(kind: .invalidRequest,
                                     message: "the decision's verdict '\(verdict)' does not match event \(event.eventType)")
            }
            let bounds = try member(decision, "bounds", in: "precheck.decision")
            fields += [
                ("action", .string(try string(precheck, "action", in: "precheck"))),
                ("action_source", .string(try string(precheck, "action_source", in: "precheck"))),
                ("verdict", .string(verdict)),
                ("reason", .string(try string(decision, "reason", in: "precheck.decision"))),
                ("measurement", .object(try identity(request, host: host)
                    + measurementFields(try member(request, "measurement")))),
                ("bandwidth_megabytes_per_second", try number(bounds, "bandwidth_megabytes_per_second", in: "bounds")),
                ("max_downtime_ms", try number(bounds, "max_downtime_ms", in: "bounds")),
                ("deadline_seconds", try number(bounds, "deadline_seconds", in: "bounds")),
                ("forecast", try forecastFields(try member(decision, "forecast", in: "precheck.decision"))),
            ]
        case .dirtyRingFault:
            let fault = try member(request, "fault")
            let error = try member(fault, "error", in: "fault")
            var vcpus: [OsloJSON] = []
            if case .array(let items)? = error["stalled_vcpus"] { vcpus = items.filter { if case .integer = $0 { true } else { false } } }
            fields += [
                ("operation", .string("calc-dirty-rate")),
                ("mode", .string(DirtyRateMode.dirtyRing.rawValue)),
                ("ring_size", try integer(fault, "ring_size", in: "fault")),
                ("stalled_vcpus", .array(vcpus)),
                ("error_kind", .string(try string(error, "kind", in: "fault.error"))),
                ("error", .string(try string(error, "message", in: "fault.error"))),
                ("qualification_state", .string(RingQualification.State.failed.rawValue)),
            ]
        case .throttleStart, .throttleEnd:
            guard case .object(let members) = try member(request, "throttle") else {
                throw DirtyRingError(kind: .invalidRequest, message: "the field 'throttle' must be an object")
            }
            fields += members
        }
        return .object(fields)
    }

    /// `instance_uuid, tenant_id, user_id, host`: Ceilometer's resource, project and user.
    private static func identity(_ request: OsloJSON, host: String) throws(DirtyRingError) -> [(String, OsloJSON)] {
        let instance = try member(request, "instance")
        return [
            ("instance_uuid", .string(try string(instance, "uuid", in: "instance"))),
            ("tenant_id", .string(try string(instance, "tenant_id", in: "instance"))),
            ("user_id", .string(try string(instance, "user_id", in: "instance"))),
            ("host", .string(host)),
        ]
    }

    private static func measurementFields(_ measurement: OsloJSON) throws(DirtyRingError) -> [(String, OsloJSON)] {
        let field = "measurement"
        guard case .array(let vcpuRates)? = measurement["vcpu_megabytes_per_second"] else {
            throw invalid("\(field).vcpu_megabytes_per_second", "a list of numbers")
        }
        var rates: [OsloJSON] = []
        for rate in vcpuRates {
            switch rate {
            case .integer(let value): rates.append(.number(Double(value)))
            case .number: rates.append(rate)
            default: throw invalid("\(field).vcpu_megabytes_per_second", "a list of numbers")
            }
        }
        return [
            ("mode", .string(try string(measurement, "mode", in: field))),
            ("megabytes_per_second", try number(measurement, "megabytes_per_second", in: field)),
            ("vcpu_megabytes_per_second", .array(rates)),
            ("period_seconds", try integer(measurement, "period_seconds", in: field)),
            ("memory_mib", try integer(measurement, "memory_mib", in: field)),
            ("vcpus", try integer(measurement, "vcpus", in: field)),
            ("ring_size", try integer(measurement, "ring_size", in: field)),
            ("measured_at", .string(try string(measurement, "measured_at", in: field))),
        ]
    }

    private static func forecastFields(_ forecast: OsloJSON) throws(DirtyRingError) -> OsloJSON {
        let field = "forecast"
        guard case .bool(let converges)? = forecast["converges"] else { throw invalid("\(field).converges", "a boolean") }
        let limit: OsloJSON = forecast["limit_megabytes_per_second"].flatMap { $0 == .null ? nil : $0 } == nil
            ? .null : try number(forecast, "limit_megabytes_per_second", in: field)
        return .object([
            ("converges", .bool(converges)),
            ("rounds", try integer(forecast, "rounds", in: field)),
            ("total_seconds", try number(forecast, "total_seconds", in: field)),
            ("bytes_sent", try integer(forecast, "bytes_sent", in: field)),
            ("downtime_ms", try number(forecast, "downtime_ms", in: field)),
            ("floor_seconds", try number(forecast, "floor_seconds", in: field)),
            ("limit_megabytes_per_second", limit),
        ])
    }

    // MARK: - Typed members

    private static func member(_ object: OsloJSON, _ key: String, in parent: String? = nil) throws(DirtyRingError) -> OsloJSON {
        guard case .object = object, let value = object[key], value != .null else {
            throw invalid(parent.map { "\($0).\(key)" } ?? key, "present")
        }
        return value
    }

    private static func string(_ object: OsloJSON, _ key: String, in parent: String) throws(DirtyRingError) -> String {
        guard case .string(let text)? = object[key] else { throw invalid("\(parent).\(key)", "a string") }
        return text
    }

    private static func integer(_ object: OsloJSON, _ key: String, in parent: String) throws(DirtyRingError) -> OsloJSON {
        guard case .integer(let value)? = object[key] else { throw invalid("\(parent).\(key)", "an integer") }
        return .integer(value)
    }

    private static func number(_ object: OsloJSON, _ key: String, in parent: String) throws(DirtyRingError) -> OsloJSON {
        switch object[key] {
        case .integer(let value)?: return .number(Double(value))
        case .number(let value)?: return .number(value)
        default: throw invalid("\(parent).\(key)", "a number")
        }
    }

    private static func invalid(_ field: String, _ what: String) -> DirtyRingError {
        DirtyRingError(kind: .invalidRequest, message: "the field '\(field)' must be \(what)")
    }
}
