internal import CLibvirt

/// How QEMU counts dirtied pages in a dirty-rate calculation (`virDomainStartDirtyRateCalc` flags).
public enum DirtyRateCalcMode: Sendable, Equatable {
    case pageSampling
    case dirtyBitmap
    case dirtyRing

    var flags: UInt32 {
        switch self {
        case .pageSampling: UInt32(VIR_DOMAIN_DIRTYRATE_MODE_PAGE_SAMPLING.rawValue)
        case .dirtyBitmap: UInt32(VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_BITMAP.rawValue)
        case .dirtyRing: UInt32(VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_RING.rawValue)
        }
    }
}
