/// Whether a host can run guests with the dirty ring, and how large a ring.
public struct HostSupport: Codable, Equatable, Sendable {
    /// Whether every requirement is met.
    public var usable: Bool
    /// The largest ring size a guest may have here; 0 when not usable.
    public var maxSize: Int
    /// One entry per requirement that is not met, naming what was found and what is needed.
    public var reasons: [String]

    /// The oldest libvirt that knows `<dirty-ring>`.
    public static let minimumLibvirt = Version(8, 0, 0)
    /// The oldest QEMU with `dirty-ring-size`.
    public static let minimumQEMU = Version(6, 1, 0)

    public init(usable: Bool, maxSize: Int, reasons: [String]) {
        self.usable = usable
        self.maxSize = maxSize
        self.reasons = reasons
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
        case usable, reasons
        case maxSize = "max_size"
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
        self.init(usable: usable, maxSize: usable ? maxSize : 0,
                  reasons: try container.decodeIfPresent([String].self, forKey: .reasons) ?? [])
    }
}
