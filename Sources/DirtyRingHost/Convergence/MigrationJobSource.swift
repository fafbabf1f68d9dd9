import DirtyRingCore
import LibvirtClient
import Synchronization

/// Where the watch reads a migration's progress.
public protocol MigrationJobSource: Sendable {
    /// The outgoing migration's progress; nil when no outgoing migration runs (not started
    /// yet, or ended). Throws `no_domain` once the domain is gone.
    func progress() throws(DirtyRingError) -> MigrationProgress?
}

/// A domain's job statistics through libvirt, each read bounded by the context's timeout.
///
/// At most one read is in flight: after a read that timed out, the next ones fail at once until
/// it returns, so a connection that stops answering holds one thread, not one per reading.
final class DomainJobSource: MigrationJobSource {
    let domain: Domain
    let timeoutSeconds: Double
    private let inFlight = Atomic<Bool>(false)

    init(domain: Domain, timeoutSeconds: Double) {
        self.domain = domain
        self.timeoutSeconds = timeoutSeconds
    }

    func progress() throws(DirtyRingError) -> MigrationProgress? {
        guard inFlight.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else {
            throw DirtyRingError(kind: .timeout, message: "the previous read of the job statistics has not returned")
        }
        let job = try BoundedCall.run("reading the migration's job statistics", seconds: timeoutSeconds) {
            () throws(DirtyRingError) -> JobStatistics in
            defer { self.inFlight.store(false, ordering: .releasing) }
            return try DirtyRingError.mappingDomain { () throws(LibvirtError) in try self.domain.jobStatistics() }
        }
        guard job.outgoingMigration else { return nil }
        return MigrationProgress(jobFields: job.numbers)
    }
}
