/// Whether a host can run guests with the dirty ring, how large a ring, and which ring sizes
/// it has proven it runs without losing writes.
public struct HostSupport: Codable, Equatable, Sendable {
    /// Whether every requirement is met: the kernel, libvirt and QEMU can run the ring.
    public var usable: Bool
    /// The largest ring size a guest may have here; 0 when not usable.
    public var maxSize: Int
    /// One entry per requirement that is not met, naming what was found and what is needed.
    public var reasons: [String]
    /// The ring size the report judges (the host's configured or default size).
    public var ringSize: Int
    /// Whether guests get a ring of `ringSize` entries here: usable and qualified for it.
    public var offered: Bool
    /// This host's qualification of a ring of `ringSize` entries, as it holds for the current
    /// kernel, KVM module, CPU, libvirt and QEMU.
    public var qualification: RingQualification
    /// Every recorded qualification, one per ring size, as it holds for the current facts.
    public var qualifications: [RingQualification]

    /// The oldest libvirt that knows `<dirty-ring>`.
    public static let minimumLibvirt = Version(8, 0, 0)
    /// The oldest QEMU with `dirty-ring-size`.
    public static let minimumQEMU = Version(6, 1, 0)

    public init(
        usable: Bool, maxSize: Int, reasons: [String], ringSize: Int = RingSize.default.entries,
        qualifications: [RingQualification] = []
    ) {
        self.usable = usable
        self.maxSize = maxSize
        self.reasons = reasons
        self.ringSize = ringSize
        self.qualifications = qualifications.sorted { ($0.key?.ringSize ?? 0) < ($1.key?.ringSize ?? 0) }
        self.qualification = qualifications.last { $0.key?.ringSize == ringSize } ?? .unknown
        self.offered = usable && ringSize <= maxSize && qualification.state == .passed
    }

    /// This support with the qualifications recorded on the host (already held against its
    /// current facts), judged for `ringSize`.
    public func qualified(ringSize: Int, verdicts: [RingQualification]) -> HostSupport {
        HostSupport(usable: usable, maxSize: maxSize, reasons: reasons, ringSize: ringSize, qualifications: verdicts)
    }

    /// The qualification of a ring of `size` entries; unknown when there is none.
    public func verdict(for size: RingSize) -> RingQualification {
        qualifications.last { $0.key?.ringSize == size.entries } ?? .unknown
    }

    /// Whether a ring of `size` entries can run here and has a current, passed qualification.
    public func isQualified(_ size: RingSize) -> Bool {
        usable && size.entries <= maxSize && verdict(for: size).state == .passed
    }

    /// Every ring size with a current, passed qualification.
    public var qualifiedSizes: [Int] {
        RingSize.allowedValues.filter(isQualified).map(\.entries)
    }

    /// The largest ring as a validated size, or nil when the host cannot run the ring.
    public var maximumRing: RingSize? {
        usable ? RingSize(entries: maxSize) : nil
    }

    /// Judges the host from the facts found on it.
    public static func assess(kvm: KVMFacts, libvirt: Version?, qemu: Version?) -> HostSupport {
        var reasons: [String] = []
        if let libvirt {
            if libvirt < minimumLibvirt {
                reasons.append("libvirt \(libvirt) is older than \(minimumLibvirt)")
            }
        } else {
            reasons.append("libvirt version unknown; \(minimumLibvirt) or newer is needed")
        }
        if let qemu {
            if qemu < minimumQEMU {
                reasons.append("QEMU \(qemu) is older than \(minimumQEMU)")
            }
        } else {
            reasons.append("QEMU version unknown; \(minimumQEMU) or newer is needed")
        }
        if !kvm.available {
            reasons.append("\(kvm.device) unavailable" + (kvm.error.map { ": \($0)" } ?? ""))
        } else if kvm.dirtyRingMaxEntries <= 0 {
            reasons.append("kernel lacks KVM_CAP_DIRTY_LOG_RING")
        } else if kvm.dirtyRingMaxEntries < RingSize.minimum.entries {
            reasons.append(
                "kernel dirty ring maximum of \(kvm.dirtyRingMaxEntries) entries is below the "
                    + "minimum of \(RingSize.minimum.entries)")
        }
        guard reasons.isEmpty, let largest = RingSize.largest(notAbove: kvm.dirtyRingMaxEntries) else {
            return HostSupport(usable: false, maxSize: 0, reasons: reasons)
        }
        return HostSupport(usable: true, maxSize: largest.entries, reasons: [])
    }

    enum CodingKeys: String, CodingKey {
        case usable, reasons, offered, qualification, qualifications
        case maxSize = "max_size"
        case ringSize = "ring_size"
        case qualifiedSizes = "qualified_sizes"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(usable, forKey: .usable)
        try container.encode(maxSize, forKey: .maxSize)
        try container.encode(reasons, forKey: .reasons)
        try container.encode(ringSize, forKey: .ringSize)
        try container.encode(offered, forKey: .offered)
        try container.encode(qualification, forKey: .qualification)
        try container.encode(qualifiedSizes, forKey: .qualifiedSizes)
        try container.encode(qualifications, forKey: .qualifications)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let usable = try container.decode(Bool.self, forKey: .usable)
        let maxSize = try container.decode(Int.self, forKey: .maxSize)
        if usable, RingSize(entries: maxSize) == nil {
            throw DecodingError.dataCorruptedError(
                forKey: .maxSize, in: container,
                debugDescription: "\(maxSize) is invalid for a usable host: \(RingSize.requirement)")
        }
        self.init(
            usable: usable, maxSize: usable ? maxSize : 0,
            reasons: try container.decodeIfPresent([String].self, forKey: .reasons) ?? [],
            ringSize: try container.decodeIfPresent(Int.self, forKey: .ringSize) ?? RingSize.default.entries,
            qualifications: try container.decodeIfPresent([RingQualification].self, forKey: .qualifications) ?? [])
    }
}
