import DirtyRingCore
import HostKVM
import LibvirtClient

extension HostContext {
    /// The host's ring qualification verdicts, kept in the context's state_dir.
    public var qualificationStore: QualificationStore { QualificationStore(directory: configuration.stateDir) }

    /// Measures the dirty rate of running guests, all at once, in request order.
    ///
    /// Each guest is named by name or UUID and measured in the mode `mode` chooses for it. All
    /// calculations run in the same period; the whole call is bounded by `seconds` plus the
    /// context's timeout (and, after a dirty-ring measurement, a short vCPU check). After a
    /// dirty-ring measurement every vCPU that was running must still run its guest: one that
    /// does not makes that guest's entry a `stall` error and records the host's qualification of
    /// that ring size as failed (liveness), which keeps guests and measurements off the ring.
    public func measure(
        domains: [String], seconds: Int, mode: RequestedDirtyRateMode
    ) throws(DirtyRingError) -> [Result<DirtyRateMeasurement, DirtyRingError>] {
        try measure(domains: domains, seconds: seconds, mode: mode, qualifying: false)
    }

    /// `qualifying`: the ring is measured whatever its qualification (the qualification's own
    /// counting canaries).
    func measure(
        domains references: [String], seconds: Int, mode requested: RequestedDirtyRateMode,
        qualifying: Bool
    ) throws(DirtyRingError) -> [Result<DirtyRateMeasurement, DirtyRingError>] {
        let request = try MeasureRequest(domains: references, seconds: seconds, mode: requested).validated()
        let store = qualificationStore
        let host = try probe()

        var results = [Result<DirtyRateMeasurement, DirtyRingError>?](repeating: nil, count: references.count)
        var targets: [MeasureTarget] = []
        for (index, reference) in references.enumerated() {
            do {
                targets.append(try prepareTarget(
                    index: index, reference: reference, requested: request.mode, host: host.dirtyRing,
                    qualifying: qualifying))
            } catch {
                results[index] = .failure(error)
            }
        }

        let run = MeasureRun(context: self, seconds: request.seconds, targets: targets)
        for (index, outcome) in run.execute() {
            if index >= 0 && index < results.count { results[index] = outcome }
        }
        if let stall = run.stallEvidence {
            do {
                for size in Set(targets.filter { $0.mode == .dirtyRing }.map(\.ringSize)) where !qualifying {
                    try store.save(RingQualification(
                        key: host.qualificationKey(ringSize: size), checkedAt: UTCTime.now(), seconds: nil,
                        checks: [QualificationVerdicts.liveness(
                            operations: 1, stops: ["after a dirty-rate measurement of a guest: \(stall)"], evidence: [])]))
                }
            } catch {
                // The stall is still reported to the caller; the note says it was not recorded.
                for index in results.indices {
                    if case .failure(var failure) = results[index], failure.kind == .stall {
                        failure.message += " (not recorded: \(error.message))"
                        results[index] = .failure(failure)
                    }
                }
            }
        }
        return results.map { $0 ?? .failure(DirtyRingError(kind: .internal, message: "no result")) }
    }

    /// Looks one guest up and chooses its mode.
    private func prepareTarget(
        index: Int, reference: String, requested: RequestedDirtyRateMode, host: HostSupport, qualifying: Bool
    ) throws(DirtyRingError) -> MeasureTarget {
        let connection = self.connection
        let facts = try BoundedCall.run("looking up domain \(reference)", seconds: configuration.timeoutSeconds) {
            () throws(DirtyRingError) -> DomainFacts in
            try Self.facts(of: reference, connection: connection)
        }
        if facts.job == .outgoingMigration { throw MeasureErrors.migrating(facts.name) }
        let ringSize = try DomainXML.dirtyRingSize(domainXML: facts.xml) ?? 0
        let qualification: RingQualification =
            qualifying ? RingQualification(state: .passed) : RingSize(entries: ringSize).map(host.verdict(for:)) ?? .unknown
        let mode = try ModeChoice.choose(
            requested: requested, domain: facts.name, ringSize: ringSize, qualification: qualification)
        return MeasureTarget(
            index: index, domain: facts.domain, name: facts.name, uuid: facts.uuid,
            memoryMiB: Int(clamping: facts.info.maxMemoryKiB / 1024), vcpus: facts.info.vcpus,
            ringSize: ringSize, mode: mode)
    }

    /// Looks a domain up and reads what a measurement needs of it.
    static func facts(of reference: String, connection: Connection) throws(DirtyRingError) -> DomainFacts {
        let domain: Domain
        do {
            domain = try lookUp(reference, connection: connection)
        } catch {
            throw error.isNoDomain
                ? MeasureErrors.noDomain(reference)
                : DirtyRingError(kind: .libvirt, message: "looking up domain \(reference): \(error.message)")
        }
        let name = domain.name
        do {
            let info = try domain.info()
            guard info.isRunning else { throw MeasureErrors.notRunning(name) }
            return DomainFacts(
                domain: domain, name: name, uuid: try domain.uuid(), info: info, xml: try domain.xmlDescription(),
                job: try domain.activeJob())
        } catch let error as LibvirtError {
            throw error.isNoDomain
                ? MeasureErrors.noDomain(reference)
                : MeasureErrors.libvirt(error, domain: name, mode: .pageSampling)
        } catch let error as DirtyRingError {
            throw error
        } catch {
            throw DirtyRingError(kind: .internal, message: "looking up domain \(reference): \(error)")
        }
    }

    /// A domain by UUID when the reference reads as one, else by name.
    static func lookUp(_ reference: String, connection: Connection) throws(LibvirtError) -> Domain {
        if reference.count == 36, reference.filter({ $0 == "-" }).count == 4,
           let domain = try? connection.domain(uuid: reference) {
            return domain
        }
        return try connection.domain(named: reference)
    }
}

/// What a lookup learns about a domain.
struct DomainFacts: Sendable {
    var domain: Domain
    var name: String
    var uuid: String
    var info: DomainInfo
    var xml: String
    var job: DomainJob
}

/// One guest to measure: where its result goes, who it is and how it is measured.
struct MeasureTarget: Sendable {
    var index: Int
    var domain: Domain
    var name: String
    var uuid: String
    var memoryMiB: Int
    var vcpus: Int
    var ringSize: Int
    var mode: DirtyRateMode
}
