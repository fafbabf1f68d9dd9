import DirtyRingCore

/// The host report as a short table for a person.
struct ProbeTable {
    let report: HostReport

    func render() -> String {
        let kvm = report.kvm
        let ring = report.dirtyRing
        var rows: [(String, String)] = [
            ("kernel", report.kernelRelease),
            ("KVM module", kvm.module ?? "none loaded"),
            (kvm.device, kvm.available ? "available" : "unavailable: \(kvm.error ?? "unknown error")"),
        ]
        if kvm.available {
            let ringText = kvm.dirtyRingMaxEntries > 0
                ? "up to \(kvm.dirtyRingMaxEntries) entries per vCPU"
                    + (kvm.dirtyRingAcqRel ? ", acquire/release" : "")
                : "not offered by this kernel"
            rows.append(("kernel dirty ring", ringText))
        }
        rows.append(("libvirt", versionText(report.libvirtVersion, needs: HostSupport.minimumLibvirt)))
        rows.append(("QEMU", versionText(report.qemuVersion, needs: HostSupport.minimumQEMU)))
        rows.append((
            "dirty ring",
            ring.usable
                ? "usable, ring sizes \(RingSize.minimum.entries)..\(ring.maxSize) entries"
                : "NOT usable"
        ))
        for reason in ring.reasons {
            rows.append(("  because", reason))
        }
        rows.append(("ring qualification", qualificationText(ring.qualification, size: ring.ringSize)))
        for check in ring.qualification.checks {
            rows.append(("  \(check.name.rawValue)", "\(check.state.rawValue): \(check.summary)"))
        }
        rows.append((
            "ring offered",
            ring.offered
                ? "yes: guests get a ring of \(ring.ringSize) entries unless they opt out"
                : "no: guests boot without the ring"
                    + (ring.qualifiedSizes.isEmpty ? "" : " (qualified sizes: \(ring.qualifiedSizes.map(String.init).joined(separator: ", ")))")
        ))
        return TextTable(rows: rows.map { [$0.0, $0.1] }).lines().joined(separator: "\n")
    }

    private func qualificationText(_ verdict: RingQualification, size: Int) -> String {
        let when = verdict.checkedAt.map { " (\($0))" } ?? ""
        switch verdict.state {
        case .passed: return "PASSED\(when) for \(size) entries: guests and measurements may use the ring"
        case .failed:
            return "FAILED\(when) for \(size) entries: no guest gets the ring, no measurement reads it"
        case .unknown:
            return "unknown for \(size) entries: " + (verdict.evidence ?? "never qualified")
                + "; no guest gets the ring until 'dirtyring qualify' passes"
        }
    }

    private func versionText(_ version: Version?, needs minimum: Version) -> String {
        guard let version else { return "unknown (needs \(minimum) or later)" }
        return "\(version)" + (version >= minimum ? "" : " (needs \(minimum) or later)")
    }
}
