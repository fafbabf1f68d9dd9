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
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { label, value in
            label + String(repeating: " ", count: width - label.count + 2) + value
        }.joined(separator: "\n")
    }

    private func versionText(_ version: Version?, needs minimum: Version) -> String {
        guard let version else { return "unknown (needs \(minimum) or later)" }
        return "\(version)" + (version >= minimum ? "" : " (needs \(minimum) or later)")
    }
}
