import DirtyRingCore
import LibvirtClient

/// The errors a measurement reports, each naming the domain for an operator.
enum MeasureErrors {
    static func noDomain(_ reference: String) -> DirtyRingError {
        DirtyRingError(kind: .noDomain, message: "no running domain named or with UUID '\(reference)' on this host")
    }

    static func notRunning(_ domain: String) -> DirtyRingError {
        DirtyRingError(kind: .noDomain, message: "domain \(domain) is not running: only a running guest dirties memory")
    }

    static func migrating(_ domain: String) -> DirtyRingError {
        DirtyRingError(
            kind: .migrating,
            message: "domain \(domain) is migrating out: QEMU cannot measure its dirty rate until the migration ends")
    }

    static func timeout(_ domain: String, seconds: Double) -> DirtyRingError {
        DirtyRingError(
            kind: .timeout,
            message: "the dirty-rate calculation of domain \(domain) gave no result within \(secondsText(seconds)) s")
    }

    /// A libvirt error while starting or reading a calculation, in the measurement's kinds.
    static func libvirt(_ error: LibvirtError, domain: String, mode: DirtyRateMode) -> DirtyRingError {
        let text = error.message
        if error.isNoDomain {
            return DirtyRingError(kind: .noDomain, message: "domain \(domain) disappeared: \(text)")
        }
        if text.contains("already being measured") {
            return DirtyRingError(
                kind: .busy, message: "a dirty-rate calculation is already running on domain \(domain); retry when it ends")
        }
        if text.mentionsMigration {
            return migrating(domain)
        }
        if error.isUnsupported || text.contains("is not enabled") || text.contains("requires dirty-ring") {
            return DirtyRingError(
                kind: .unsupported, message: "domain \(domain) cannot be measured in \(mode.rawValue) mode: \(text)")
        }
        if error.isOperationInvalid {
            return notRunning(domain)
        }
        return DirtyRingError(kind: .libvirt, message: "measuring domain \(domain): \(text)")
    }
}

private extension String {
    /// Whether the text mentions a migration (QEMU: "... during migration").
    var mentionsMigration: Bool { lowercased().contains("migrat") }
}
