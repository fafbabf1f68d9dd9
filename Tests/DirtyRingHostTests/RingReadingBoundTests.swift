@testable import DirtyRingHost
import Testing

@Suite("Ring reading bound")
struct RingReadingBoundTests {
    @Test("an exact counter cannot report more than the working set per period")
    func bound() {
        let bound = RingReadingBound(workingSetMiB: 64, periodSeconds: 1)
        #expect(bound.maximum == 64 * 1.15 + 2)
        #expect(bound.violation(by: 64) == nil)
        #expect(bound.violation(by: 75.5) == nil)
        // What this machine's nested KVM reports for the canary: each write logged again.
        let evidence = bound.violation(by: 175)
        #expect(evidence?.contains("175.0 MiB/s over 1 s") == true)
        #expect(evidence?.contains("64 MiB") == true)
    }

    @Test("a longer period lowers the bound")
    func longerPeriod() {
        #expect(RingReadingBound(workingSetMiB: 64, periodSeconds: 2).violation(by: 38) == nil)
        #expect(RingReadingBound(workingSetMiB: 64, periodSeconds: 2).violation(by: 45) != nil)
        #expect(RingReadingBound(workingSetMiB: 64, periodSeconds: 0).maximum == 64 * 1.15 + 2)
    }
}
