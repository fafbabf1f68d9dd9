/// How QEMU counts dirtied memory for a dirty-rate measurement.
public enum DirtyRateMode: String, Codable, CaseIterable, Sendable {
    /// Hashes a sample of pages: an estimate that reads a small hot working set as 0.
    case pageSampling = "page-sampling"
    /// KVM's dirty bitmap: exact; refused while the guest has the ring.
    case dirtyBitmap = "dirty-bitmap"
    /// KVM's per-vCPU dirty ring: exact, per vCPU; needs the ring.
    case dirtyRing = "dirty-ring"
}

extension DirtyRateMode {
    /// Whether a reading in this mode is only an estimate.
    public var isEstimate: Bool { self == .pageSampling }

    /// What an operator should know of a reading in this mode; nil for an exact one.
    public var caveat: String? {
        isEstimate
            ? "estimate: page sampling hashes a sample of pages and can read a busy guest as 0 (the ring "
                + "guest is measured this way because this host has not qualified its ring)"
            : nil
    }
}
