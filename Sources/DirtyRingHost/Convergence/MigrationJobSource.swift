import DirtyRingCore
import LibvirtClient

/// Where the watch reads a migration's progress.
public protocol MigrationJobSource: Sendable {
    /// The outgoing migration's progress; nil when no outgoing migration runs (not started
    /// yet, or ended). Throws `no_domain` once the domain is gone.
    func progress() throws(DirtyRingError) -> MigrationProgress?
}

/// A domain's job statistics through libvirt, each read bounded by the context's timeout.
struct DomainJobSource: MigrationJobSource {
    let domain: Domain
    let timeoutSeconds: Double

    func progress() throws(DirtyRingError) -> MigrationProgress? {
        let domain = self.domain
        let job = try BoundedCall.run("reading the migration's job statistics", seconds: timeoutSeconds) {
            () throws(DirtyRingError) -> JobStatistics in
            try DirtyRingError.mappingDomain { () throws(LibvirtError) in try domain.jobStatistics() }
        }
        guard job.outgoingMigration else { return nil }
        return MigrationProgress(jobFields: job.numbers)
    }
}
