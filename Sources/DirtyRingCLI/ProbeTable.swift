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
        rows.append(("ring selftest", selftestText(report.ringSelftest)))
        return TextTable(rows: rows.map { [$0.0, $0.1] }).lines().joined(separator: "\n")
    }

    private func selftestText(_ selftest: RingSelftest) -> String {
        let when = selftest.checkedAt.map { " (\($0))" } ?? ""
        switch selftest.state {
        case .passed: return "passed\(when): dirty-rate measurements may use the ring"
        case .failed:
            return "FAILED\(when): ring measurements disabled here; \(selftest.evidence ?? "no evidence recorded")"
        case .unknown: return "not run (dirtyring selftest): ring measurements not used until it passes"
        }
    }

    private func versionText(_ version: Version?, needs minimum: Version) -> String {
        guard let version else { return "unknown (needs \(minimum) or later)" }
        return "\(version)" + (version >= minimum ? "" : " (needs \(minimum) or later)")
    }
}
