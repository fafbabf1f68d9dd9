import DirtyRingCore
import LibvirtClient

extension HostContext {
    /// Starts watching the outgoing migration of the running guest `request.instance.uuid`
    /// (the migration may start after this returns). `notify` receives the `dr_notify`
    /// requests of the throttle notifications.
    public func watchMigration(
        _ request: MigrationWatchRequest, notify: @escaping @Sendable (String) -> Void
    ) throws(DirtyRingError) -> MigrationWatch {
        try ThrottleJournal.checkUUID(request.instance.uuid)
        let connection = self.connection
        let uuid = request.instance.uuid
        let (domain, info, hypervisor) = try BoundedCall.run(
            "looking up domain \(uuid)", seconds: configuration.timeoutSeconds
        ) { () throws(DirtyRingError) -> (Domain, DomainInfo, UInt) in
            try DirtyRingError.mappingDomain { () throws(LibvirtError) in
                let domain = try connection.domain(uuid: uuid)
                return (domain, try domain.info(), try connection.hypervisorVersion())
            }
        }
        let qualification = RingSize(entries: request.ringSize).flatMap { size in
            try? probe().dirtyRing.verdict(for: size)
        }
        let plan = ConvergencePlan.make(.init(
            strategy: request.strategy, ringSize: request.ringSize, ringQualification: qualification?.state ?? .unknown,
            qemuVersion: hypervisor == 0 ? nil : Version(libvirtInteger: Int(hypervisor)),
            novaAutoConverge: request.novaAutoConverge, expectedDirtyRate: request.expected?.dirtyRate,
            expectedBandwidth: request.expected?.bandwidth))
        let memoryMiB = Int(min(info.maxMemoryKiB / 1024, UInt64(ForecastParameters.maximumMemoryMiB)))
        let bounds = request.libvirt.bounds(
            memoryMiB: memoryMiB, assumedBandwidth: request.assumedBandwidth,
            noTimeoutDeadline: request.noTimeoutDeadlineSeconds)
        let watch = MigrationWatch(
            request: request, plan: plan, bounds: bounds, vcpus: info.vcpus,
            source: DomainJobSource(domain: domain, timeoutSeconds: configuration.timeoutSeconds),
            qmp: DomainQMPChannel(domain: domain, timeoutSeconds: configuration.timeoutSeconds),
            journal: throttleJournal, notify: notify)
        guard watch.start() else {
            throw DirtyRingError(kind: .internal, message: "cannot start the migration watch thread")
        }
        return watch
    }

    /// The journal of the throttles acting on this host's migrating guests.
    public var throttleJournal: ThrottleJournal { ThrottleJournal(stateDirectory: configuration.stateDir) }

    /// Ends every throttle the journal holds (left by a nova-compute that stopped during a
    /// migration): a dirty-limit is cancelled on a guest that still runs here; auto-converge and
    /// force-complete end with the migration job itself (nova-compute aborts a migration it finds
    /// running when it starts), so their record is only closed. A record of a guest that is gone
    /// is forgotten. `notify` receives an `instance.live_migration_throttle.end` request for each.
    public func liftLeftoverThrottles(notify: @escaping @Sendable (String) -> Void) -> [LeftoverThrottle] {
        let journal = throttleJournal
        let (records, unreadable) = journal.records()
        var results = unreadable.map {
            LeftoverThrottle(instanceUUID: nil, result: .unreadable, message: "cannot read \($0); remove it by hand")
        }
        for record in records {
            let uuid = record.instance.uuid
            var outcome = LeftoverThrottle(instanceUUID: uuid, result: .lifted, message: "")
            switch record.method {
            case .dirtyLimit:
                outcome = liftLeftoverDirtyLimit(record)
            case .autoConverge:
                outcome.message = "auto-converge started at \(record.appliedAt) ends with its migration job, "
                    + "which QEMU stops when the job ends"
            case .forceComplete:
                outcome.message = "force-complete started at \(record.appliedAt): the guest runs on the "
                    + "destination, or resumes on this host when the migration job ends"
            case .none:
                outcome.message = "no throttle"
            }
            if outcome.result != .failed {
                do {
                    try journal.remove(uuid: uuid)
                } catch {
                    outcome.result = .failed
                    outcome.message += "; \(error.description)"
                }
            }
            notify(ThrottleNotice.end(
                instance: record.instance, method: record.method, result: "restarted", durationSeconds: 0,
                removed: outcome.result != .failed, reason: outcome.message))
            results.append(outcome)
        }
        return results
    }
}

extension HostContext {
    /// Cancels a dirty-limit left on a guest that still runs here.
    fileprivate func liftLeftoverDirtyLimit(_ record: ThrottleRecord) -> LeftoverThrottle {
        let uuid = record.instance.uuid
        var outcome = LeftoverThrottle(instanceUUID: uuid, result: .lifted, message: "")
        do throws(DirtyRingError) {
            let connection = self.connection
            let domain = try BoundedCall.run("looking up domain \(uuid)", seconds: configuration.timeoutSeconds) {
                () throws(DirtyRingError) -> Domain in
                try DirtyRingError.mappingDomain { () throws(LibvirtError) in try connection.domain(uuid: uuid) }
            }
            let qmp = DomainQMPChannel(domain: domain, timeoutSeconds: configuration.timeoutSeconds)
            try DirtyLimitCommands.lift(through: qmp.execute)
            outcome.message = "dirty-limit of \(record.dirtyLimit ?? 0) MiB/s per vCPU set at \(record.appliedAt) lifted"
        } catch where error.kind == .noDomain {
            outcome.result = .gone
            outcome.message = "the guest no longer runs here; its dirty-limit went with its QEMU"
        } catch {
            outcome.result = .failed
            outcome.message = error.description
        }
        return outcome
    }
}

/// One journal record handled by `liftLeftoverThrottles`.
public struct LeftoverThrottle: Encodable, Equatable, Sendable {
    public enum Result: String, Encodable, Sendable {
        /// The limit was cancelled and no vCPU keeps one.
        case lifted
        /// The guest no longer runs on this host.
        case gone
        /// It could not be lifted; the record stays for the next start.
        case failed
        /// The record could not be read.
        case unreadable
    }

    public var instanceUUID: String?
    public var result: Result
    public var message: String

    enum CodingKeys: String, CodingKey {
        case result, message
        case instanceUUID = "instance_uuid"
    }
}
