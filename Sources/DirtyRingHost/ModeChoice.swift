import DirtyRingCore

/// Which calculation mode a guest is measured with.
enum ModeChoice {
    /// The mode for a guest that has (`ringSize` > 0) or lacks the ring, on a host whose ring
    /// selftest is `selftest`; `unsupported` when the requested mode cannot run on it.
    static func choose(
        requested: RequestedDirtyRateMode, domain: String, ringSize: Int, selftest: RingSelftest
    ) throws(DirtyRingError) -> DirtyRateMode {
        let hasRing = ringSize > 0
        switch requested {
        case .auto:
            if !hasRing { return .dirtyBitmap }
            return selftest.state == .passed ? .dirtyRing : .pageSampling
        case .pageSampling:
            return .pageSampling
        case .dirtyBitmap:
            guard !hasRing else {
                throw DirtyRingError(
                    kind: .unsupported,
                    message: "domain \(domain) runs with the dirty ring (\(ringSize) entries): KVM keeps no dirty "
                        + "bitmap for it; measure it in dirty-ring or page-sampling mode")
            }
            return .dirtyBitmap
        case .dirtyRing:
            guard hasRing else {
                throw DirtyRingError(
                    kind: .unsupported,
                    message: "domain \(domain) runs without the dirty ring: measure it in dirty-bitmap or "
                        + "page-sampling mode (the ring is chosen at a cold boot)")
            }
            guard selftest.state != .failed else {
                throw DirtyRingError(
                    kind: .unsupported,
                    message: "dirty-ring measurement is disabled on this host: the ring selftest failed"
                        + (selftest.checkedAt.map { " at \($0)" } ?? "")
                        + (selftest.evidence.map { " (\($0))" } ?? "")
                        + "; clear it with 'dirtyring selftest --clear' once the host is fixed")
            }
            return .dirtyRing
        }
    }
}
