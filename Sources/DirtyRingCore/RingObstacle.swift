/// Why a host cannot run a guest's dirty ring of a given size.
enum RingObstacle: Equatable, Sendable {
    /// The host lacks a requirement; the reasons name each.
    case hostUnusable(reasons: [String])
    /// The operator disabled the ring (`ring_mode = off`).
    case disabled
    /// The ring is larger than the kernel allows.
    case tooLarge(size: RingSize, maximum: RingSize)
    /// The host has not proven that a ring of this size loses no write.
    case unqualified(size: RingSize, qualification: RingQualification)

    /// The obstacle to running a ring of `size` entries on a host with `support` and `mode`, or
    /// nil when there is none.
    init?(size: RingSize, mode: RingMode, support: HostSupport) {
        guard let maximum = support.maximumRing else {
            self = .hostUnusable(reasons: support.reasons)
            return
        }
        if mode == .off {
            self = .disabled
        } else if size > maximum {
            self = .tooLarge(size: size, maximum: maximum)
        } else if !support.isQualified(size) {
            self = .unqualified(size: size, qualification: support.verdict(for: size))
        } else {
            return nil
        }
    }

    /// The obstacle in words, for the local host or for a migration destination.
    func describe(remote: Bool) -> String {
        switch self {
        case .hostUnusable(let reasons):
            HostSupport.describe(reasons)
        case .disabled:
            "dirty ring is disabled \(remote ? "there" : "here") (\(RingConfig.modeOption) = off)"
        case .tooLarge(let size, let maximum):
            remote
                ? "its kernel maximum is \(maximum) entries"
                : "a ring of \(size) entries exceeds the kernel maximum of \(maximum) entries"
        case .unqualified(let size, let qualification):
            "\(remote ? "it has" : "this host has") not proven that a dirty ring of \(size) entries loses no write ("
                + "qualification \(qualification.state.rawValue)"
                + (qualification.evidence.map { ": \($0)" } ?? "") + "; see 'dirtyring qualify')"
        }
    }
}
