import DirtyRingCore

/// The mode a caller asks for: a specific one, or `auto` to let the host choose per guest.
public enum RequestedDirtyRateMode: String, Codable, CaseIterable, Sendable {
    /// Dirty ring where the guest has it and the host qualified it, dirty bitmap where the
    /// guest has no ring, page sampling otherwise.
    case auto
    case pageSampling = "page-sampling"
    case dirtyBitmap = "dirty-bitmap"
    case dirtyRing = "dirty-ring"
}

/// The request of `dr_dirty_rate_measure`.
public struct MeasureRequest: Decodable, Equatable, Sendable {
    /// Domain names or UUIDs.
    public var domains: [String]
    /// Period of the calculation, 1...60 s.
    public var seconds: Int
    public var mode: RequestedDirtyRateMode

    /// Accepted periods, in seconds (QEMU's bounds).
    public static let secondsRange = 1...60

    public init(domains: [String], seconds: Int, mode: RequestedDirtyRateMode = .auto) {
        self.domains = domains
        self.seconds = seconds
        self.mode = mode
    }

    enum CodingKeys: String, CodingKey { case domains, seconds, mode }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        domains = try container.decode([String].self, forKey: .domains)
        seconds = try container.decodeIfPresent(Int.self, forKey: .seconds) ?? 1
        mode = try container.decodeIfPresent(RequestedDirtyRateMode.self, forKey: .mode) ?? .auto
    }

    /// Checks the period and the list of domains.
    public func validated() throws(DirtyRingError) -> MeasureRequest {
        guard Self.secondsRange.contains(seconds) else {
            throw DirtyRingError(
                kind: .invalidRequest, message: "seconds = \(seconds) is invalid: must be between 1 and 60")
        }
        guard !domains.isEmpty else {
            throw DirtyRingError(kind: .invalidRequest, message: "domains is empty: name at least one domain")
        }
        return self
    }

    /// The response of `dr_dirty_rate_measure`: one entry per requested domain, in order.
    public struct Response: Encodable, Sendable {
        public var measurements: [Entry]

        public init(_ results: [Result<DirtyRateMeasurement, DirtyRingError>]) {
            measurements = results.map { result in
                switch result {
                case .success(let measurement): Entry(ok: measurement, error: nil)
                case .failure(let error): Entry(ok: nil, error: error)
                }
            }
        }

        /// `{"ok": measurement}` or `{"error": error}`.
        public struct Entry: Encodable, Sendable {
            var ok: DirtyRateMeasurement?
            var error: DirtyRingError?

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encodeIfPresent(ok, forKey: .ok)
                try container.encodeIfPresent(error, forKey: .error)
            }

            enum CodingKeys: String, CodingKey { case ok, error }
        }
    }
}
