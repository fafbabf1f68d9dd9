import DirtyRingCore

/// Which calculation mode a guest is measured with.
enum ModeChoice {
    /// The mode for a guest that has (`ringSize` > 0) or lacks the ring, on a host whose
    /// qualification of that ring is `qualification`; `unsupported` when the requested mode
    /// cannot run on it. The ring is read only where it is qualified: elsewhere its readings
    /// cannot be trusted (on a host that fails, busy guests read 0 or far too high).
    static func choose(
        requested: RequestedDirtyRateMode, domain: String, ringSize: Int, qualification: RingQualification
    ) throws(DirtyRingError) -> DirtyRateMode {
        let hasRing = ringSize > 0
        switch requested {
        case .auto:
            if !hasRing { return .dirtyBitmap }
            return qualification.state == .passed ? .dirtyRing : .pageSampling
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
            guard qualification.state == .passed else {
                throw DirtyRingError(
                    kind: .unsupported,
                    message: "dirty-ring measurement of domain \(domain) is refused: \(qualification.sentence); "
                        + "measure it in page-sampling mode (an estimate) or qualify the host with 'dirtyring qualify'")
            }
            return .dirtyRing
        }
    }
}
