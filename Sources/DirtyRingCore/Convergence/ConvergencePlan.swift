/// How a migration will be made to converge, decided before it starts: the dirty-limit where
/// the guest and host allow it, else the configured strategy.
public struct ConvergencePlan: Codable, Equatable, Sendable {
    /// QEMU's first version with `set-vcpu-dirty-limit`.
    public static let dirtyLimitQEMU = Version(7, 1)
    /// QEMU's auto-converge defaults (`cpu-throttle-initial`, `cpu-throttle-increment`).
    public static let qemuAutoConvergeDefaults = AutoConvergeStart(initialPercent: 20, incrementPercent: 10)
    /// QEMU's default `max-cpu-throttle`, percent.
    public static let qemuMaximumThrottle = 99

    /// The auto-converge throttle the migration starts with (libvirt's
    /// `auto_converge.initial` and `auto_converge.increment` migration parameters).
    public struct AutoConvergeStart: Codable, Equatable, Sendable {
        public var initialPercent: Int
        public var incrementPercent: Int

        public init(initialPercent: Int, incrementPercent: Int) {
            self.initialPercent = initialPercent
            self.incrementPercent = incrementPercent
        }

        enum CodingKeys: String, CodingKey {
            case initialPercent = "initial_percent"
            case incrementPercent = "increment_percent"
        }
    }

    /// What the plan is made from.
    public struct Inputs: Equatable, Sendable {
        public var strategy: ConvergeStrategy
        /// The guest's dirty ring, in entries; 0 for none.
        public var ringSize: Int
        public var ringQualification: RingQualification.State
        /// QEMU's version on this host; nil when unknown.
        public var qemuVersion: Version?
        /// Whether Nova's own flags already enable auto-converge.
        public var novaAutoConverge: Bool
        /// The pre-flight check's measured dirty rate and the bandwidth it assumed, in MiB/s.
        public var expectedDirtyRate: Double?
        public var expectedBandwidth: Double?

        public init(
            strategy: ConvergeStrategy, ringSize: Int, ringQualification: RingQualification.State, qemuVersion: Version?,
            novaAutoConverge: Bool = false, expectedDirtyRate: Double? = nil, expectedBandwidth: Double? = nil
        ) {
            self.strategy = strategy
            self.ringSize = ringSize
            self.ringQualification = ringQualification
            self.qemuVersion = qemuVersion
            self.novaAutoConverge = novaAutoConverge
            self.expectedDirtyRate = expectedDirtyRate
            self.expectedBandwidth = expectedBandwidth
        }
    }

    /// The throttle the controller will use when the migration does not converge.
    public var method: ThrottleMethod
    /// Why the dirty-limit can or cannot be used, for the log.
    public var reason: String
    /// Set when the migration must start with auto-converge enabled (Nova did not enable it).
    public var autoConverge: AutoConvergeStart?
    /// The method that takes over when `method` shows no effect within its `ResponseWindow`;
    /// `none` when nothing may (see `fallback(after:strategy:)`).
    public var fallback: ThrottleMethod
    /// Why `fallback` is the next method, or why there is none, for the log.
    public var fallbackReason: String

    public init(
        method: ThrottleMethod, reason: String, autoConverge: AutoConvergeStart?, fallback: ThrottleMethod = .none,
        fallbackReason: String = ""
    ) {
        self.method = method
        self.reason = reason
        self.autoConverge = autoConverge
        self.fallback = fallback
        self.fallbackReason = fallbackReason
    }

    enum CodingKeys: String, CodingKey {
        case method, reason, fallback
        case autoConverge = "auto_converge"
        case fallbackReason = "fallback_reason"
    }

    /// Plans. The dirty-limit needs the ring, a passed qualification and QEMU 7.1; otherwise the
    /// strategy decides. Auto-converge's first step is the throttle t with which a guest whose
    /// writes slow in proportion (rate x (1 - t)) dirties half of what the link carries, at
    /// least QEMU's 20 %; QEMU takes a further step only when a round still dirtied more than
    /// half of what it sent, which means the guest does not slow in proportion, so that step
    /// goes to QEMU's maximum at once rather than prolonging the throttled migration. Without a
    /// pre-flight measurement, QEMU's defaults. The fallback follows from the method and the
    /// strategy (`fallback(after:strategy:)`).
    public static func make(_ inputs: Inputs) -> ConvergencePlan {
        var plan = method(inputs)
        (plan.fallback, plan.fallbackReason) = fallback(after: plan.method, strategy: inputs.strategy)
        return plan
    }

    /// The next method after `method` has shown no effect, and why. Only what can still be done
    /// while the migration runs, and nothing more intrusive than `strategy` permits
    /// (dirty-limit, which slows only the vCPUs that write, then auto-converge, which slows
    /// every vCPU, then force-complete, which pauses the guest):
    /// - after the dirty-limit, force-complete when that is the strategy: Nova can force a
    ///   running migration at any time. Auto-converge cannot follow: QEMU refuses to change a
    ///   capability while a migration runs, and libvirt sets it only from the flags the
    ///   migration starts with.
    /// - after auto-converge, none: the strategy that chose it did not choose pausing the guest.
    /// - after force-complete or no throttle, none.
    public static func fallback(
        after method: ThrottleMethod, strategy: ConvergeStrategy
    ) -> (method: ThrottleMethod, reason: String) {
        switch (method, strategy) {
        case (.dirtyLimit, .forceComplete):
            (.forceComplete, "converge_strategy force-complete: Nova can force a running migration to complete")
        case (.dirtyLimit, .autoConverge):
            (.none, "converge_strategy auto-converge cannot take over: QEMU's auto-converge can only be enabled "
                + "when the migration starts")
        case (.dirtyLimit, .dirtyLimitOnly):
            (.none, "converge_strategy dirty-limit-only has no other method")
        case (.autoConverge, _):
            (.none, "converge_strategy auto-converge has no method after it (force-complete would pause the guest)")
        case (.forceComplete, _), (.none, _):
            (.none, "no method follows \(method.rawValue)")
        }
    }

    /// The method from the guest, the host and the strategy.
    private static func method(_ inputs: Inputs) -> ConvergencePlan {
        if let obstacle = dirtyLimitObstacle(inputs) {
            let fallback = "dirty-limit not possible: \(obstacle)"
            switch inputs.strategy {
            case .autoConverge:
                let start = inputs.novaAutoConverge ? nil : autoConvergeStart(inputs)
                let note = inputs.novaAutoConverge
                    ? "Nova's live_migration_permit_auto_converge already enables it"
                    : "starts at \(start?.initialPercent ?? 0) %, then +\(start?.incrementPercent ?? 0) % a step"
                return ConvergencePlan(method: .autoConverge, reason: "\(fallback); auto-converge (\(note))",
                                       autoConverge: start)
            case .forceComplete:
                return ConvergencePlan(
                    method: .forceComplete, reason: "\(fallback); Nova's force-complete when it will not converge",
                    autoConverge: nil)
            case .dirtyLimitOnly:
                return ConvergencePlan(method: .none, reason: "\(fallback); watched only (dirty-limit-only)",
                                       autoConverge: nil)
            }
        }
        return ConvergencePlan(
            method: .dirtyLimit,
            reason: "dirty-limit on the vCPUs when it will not converge (ring \(inputs.ringSize) entries, qualified on this host)",
            autoConverge: nil)
    }

    /// Why the dirty-limit cannot be used, or nil when it can.
    static func dirtyLimitObstacle(_ inputs: Inputs) -> String? {
        guard inputs.ringSize > 0 else { return "the guest has no dirty ring" }
        guard let qemu = inputs.qemuVersion else { return "QEMU's version is unknown" }
        guard qemu >= dirtyLimitQEMU else { return "QEMU \(qemu.description) is older than \(dirtyLimitQEMU.description)" }
        switch inputs.ringQualification {
        case .passed: return nil
        case .failed: return "this host's dirty ring failed qualification"
        case .unknown: return "this host's dirty ring is not qualified (dirtyring qualify)"
        }
    }

    /// The first step from the linear model, the second to the maximum.
    static func autoConvergeStart(_ inputs: Inputs) -> AutoConvergeStart {
        let defaults = qemuAutoConvergeDefaults
        guard let rate = inputs.expectedDirtyRate, let bandwidth = inputs.expectedBandwidth,
              rate.isFinite, bandwidth.isFinite, rate > 0, bandwidth > 0
        else { return defaults }
        let needed = (100 * (1 - bandwidth / (2 * rate))).rounded(.up)
        let maximum = qemuMaximumThrottle
        let initial = Int(min(Double(maximum), max(Double(defaults.initialPercent), needed)))
        return AutoConvergeStart(initialPercent: initial, incrementPercent: max(1, maximum - initial))
    }
}
