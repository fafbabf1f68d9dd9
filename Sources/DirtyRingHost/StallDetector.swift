import DirtyRingCore
import HostKVM

/// Decides whether a vCPU stopped running its guest after a dirty-ring operation.
///
/// On this kind of fault (KVM_EXIT_DIRTY_RING_FULL with nothing to harvest) the vCPU still
/// looks busy to libvirt: `vcpu.N.state` stays running and `vcpu.N.time` keeps growing, because
/// its thread spins between KVM and QEMU. What changes is where the thread spends that time: a
/// vCPU running its guest stays inside KVM (kernel time), while the livelocked one returns to
/// QEMU tens of thousands of times a second and accumulates user time. A halted (idle) vCPU
/// uses almost no time at all, so it never reads as stalled.
struct StallDetector {
    /// Thread user time below this, over the window, is noise (a few scheduler ticks).
    var minimumUserNanoseconds: UInt64 = 30_000_000
    /// User share of the thread's time over the window that marks a livelock.
    var minimumUserShare = 0.05
    /// How much larger than before the operation the user share must be.
    var growthFactor = 3.0

    /// One vCPU's observations: thread times before the operation (two samples apart), at its
    /// result, and at the end of the window after it.
    struct Observation {
        var vcpu: Int
        var running: Bool
        var baselineStart: VCPUThreadTime
        var baselineEnd: VCPUThreadTime
        var atResult: VCPUThreadTime
        var afterWindow: VCPUThreadTime
        /// libvirt's vcpu.N.time at the result and after the window, in nanoseconds.
        var libvirtTimeAtResult: UInt64
        var libvirtTimeAfterWindow: UInt64
    }

    /// The evidence of a stalled vCPU, or nil when it keeps running its guest (or is halted).
    func stall(_ observation: Observation, windowSeconds: Double) -> String? {
        guard observation.running else { return nil }
        let before = Self.share(from: observation.baselineStart, to: observation.baselineEnd)
        let after = Self.share(from: observation.atResult, to: observation.afterWindow)
        guard after.user >= minimumUserNanoseconds,
              after.share >= minimumUserShare,
              after.share >= growthFactor * before.share
        else { return nil }
        let libvirtDelta = observation.libvirtTimeAfterWindow >= observation.libvirtTimeAtResult
            ? observation.libvirtTimeAfterWindow - observation.libvirtTimeAtResult : 0
        return "vCPU \(observation.vcpu) stopped running its guest after the dirty-ring read: over a "
            + "\(format(windowSeconds)) s window its thread spent \(after.user / 1_000_000) ms of "
            + "\((after.user + after.system) / 1_000_000) ms in QEMU user space (\(percent(after.share)); "
            + "\(percent(before.share)) before the measurement) while libvirt showed it running "
            + "(vcpu.\(observation.vcpu).time +\(libvirtDelta / 1_000_000) ms): it keeps exiting to QEMU "
            + "instead of running the guest (dirty-ring-full livelock)"
    }

    static func share(from start: VCPUThreadTime, to end: VCPUThreadTime) -> (user: UInt64, system: UInt64, share: Double) {
        let user = end.userNanoseconds >= start.userNanoseconds ? end.userNanoseconds - start.userNanoseconds : 0
        let system = end.systemNanoseconds >= start.systemNanoseconds ? end.systemNanoseconds - start.systemNanoseconds : 0
        let total = user + system
        return (user, system, total == 0 ? 0 : Double(user) / Double(total))
    }

    private func percent(_ share: Double) -> String {
        "\(Int((share * 1000).rounded()) / 10).\(Int((share * 1000).rounded()) % 10) %"
    }

    private func format(_ seconds: Double) -> String { secondsText(seconds) }
}
