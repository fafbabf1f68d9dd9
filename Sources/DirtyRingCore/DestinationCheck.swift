/// Whether a host can receive a live-migrating guest without changing its dirty ring, which
/// libvirt refuses.
public enum DestinationCheck {
    /// The request of `dr_destination_check`, describing the destination host.
    public struct Request: Decodable, Sendable {
        public var config: RingConfig
        public var host: HostReport
        public var hostName: String
        /// The guest's ring in entries; 0 when it has none.
        public var instanceRingSize: Int

        public init(config: RingConfig, host: HostReport, hostName: String, instanceRingSize: Int) {
            self.config = config
            self.host = host
            self.hostName = hostName
            self.instanceRingSize = instanceRingSize
        }

        enum CodingKeys: String, CodingKey {
            case config, host
            case hostName = "host_name"
            case instanceRingSize = "instance_ring_size"
        }
    }

    /// The result of `dr_destination_check`.
    public struct Result: Codable, Equatable, Sendable {
        public var allowed: Bool
        /// One sentence for an operator.
        public var reason: String

        public init(allowed: Bool, reason: String) {
            self.allowed = allowed
            self.reason = reason
        }
    }

    /// Judges the destination. A guest without a ring may go anywhere; one with a ring only
    /// where the ring is enabled and large enough.
    public static func check(_ request: Request) throws(DirtyRingError) -> Result {
        let destination = "destination \(request.hostName)"
        guard request.instanceRingSize != 0 else {
            return Result(allowed: true, reason: "\(destination) accepts this instance: it has no dirty ring")
        }
        guard let size = RingSize(entries: request.instanceRingSize) else {
            throw DirtyRingError(
                kind: .invalidRequest,
                message: "instance_ring_size = \(request.instanceRingSize) is invalid: must be 0 or a "
                    + "power of two between \(RingSize.minimum) and \(RingSize.maximum)")
        }
        if let obstacle = RingObstacle(size: size, mode: request.config.mode, support: request.host.dirtyRing) {
            return Result(
                allowed: false,
                reason: "\(destination) cannot run this instance's dirty ring of \(size) entries: "
                    + obstacle.describe(remote: true))
        }
        return Result(
            allowed: true,
            reason: "\(destination) can run this instance's dirty ring of \(size) entries "
                + "(its kernel maximum is \(request.host.dirtyRing.maxSize) entries)")
    }
}
