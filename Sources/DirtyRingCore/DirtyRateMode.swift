/// How QEMU counts dirtied memory for a dirty-rate measurement.
public enum DirtyRateMode: String, Codable, CaseIterable, Sendable {
    /// Hashes a sample of pages: an estimate that reads a small hot working set as 0.
    case pageSampling = "page-sampling"
    /// KVM's dirty bitmap: exact; refused while the guest has the ring.
    case dirtyBitmap = "dirty-bitmap"
    /// KVM's per-vCPU dirty ring: exact, per vCPU; needs the ring.
    case dirtyRing = "dirty-ring"
}
