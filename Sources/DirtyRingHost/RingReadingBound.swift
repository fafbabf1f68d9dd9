/// The most an exact dirty-page counter can report for a guest that rewrites a working set:
/// every page of it once per period, plus a margin for the few other pages a guest writes
/// (stack, page tables).
///
/// A dirty ring that reports more logs pages more than once, and every reading through it is
/// too high (seen on a nested KVM: about 1.75 times the truth, each write to an already dirty
/// page logged again).
struct RingReadingBound: Equatable {
    /// MiB the guest rewrites, round robin.
    var workingSetMiB: Int
    var periodSeconds: Int

    /// Relative margin above the working set per period.
    static let relativeMargin = 0.15
    /// Absolute margin in MiB/s.
    static let absoluteMargin = 2.0

    /// The highest plausible reading in MiB/s.
    var maximum: Double {
        let perPeriod = Double(workingSetMiB) / Double(max(1, periodSeconds))
        return perPeriod * (1 + Self.relativeMargin) + Self.absoluteMargin
    }

    /// Why `reading` cannot come from an exact counter; nil when it can.
    func violation(by reading: Double) -> String? {
        guard reading > maximum else { return nil }
        return "the ring read \(Self.format(reading)) MiB/s over \(periodSeconds) s for a guest rewriting "
            + "\(workingSetMiB) MiB, which can dirty at most \(Self.format(maximum)) MiB/s of distinct pages: "
            + "this host's KVM logs pages more than once, so ring readings would be too high"
    }

    private static func format(_ value: Double) -> String {
        String((value * 10).rounded() / 10)
    }
}
