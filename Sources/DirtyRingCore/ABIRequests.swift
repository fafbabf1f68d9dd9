import FoundationEssentials

/// The JSON-in, JSON-out functions behind the C ABI. Each returns a complete response document,
/// `{"ok": result}` or `{"error": {...}}`, and never throws or traps.
public enum ABIRequests {
    /// `dr_config_check`.
    public static func configCheck(json: String) -> String {
        respond { () throws(DirtyRingError) in
            let request = try decode(ConfigCheck.Request.self, from: json)
            return try ConfigCheck.check(request.config, host: request.host)
        }
    }

    /// `dr_ring_decide`.
    public static func ringDecide(json: String) -> String {
        respond { () throws(DirtyRingError) in
            try RingDecision.decide(decode(RingDecision.Request.self, from: json))
        }
    }

    /// `dr_destination_check`.
    public static func destinationCheck(json: String) -> String {
        respond { () throws(DirtyRingError) in
            try DestinationCheck.check(decode(DestinationCheck.Request.self, from: json))
        }
    }

    /// `dr_source_check`.
    public static func sourceCheck(json: String) -> String {
        respond { () throws(DirtyRingError) in
            try SourceRingCheck.check(decode(SourceRingCheck.Request.self, from: json))
        }
    }

    /// `dr_kvm_element`.
    public static func kvmElement(json: String) -> String {
        respond { () throws(DirtyRingError) in
            let request = try decode(KVMElement.Request.self, from: json)
            return KVMElement.Result(kvmXML: try KVMElement.merge(kvmXML: request.kvmXML, ringSize: request.ringSize))
        }
    }

    /// `dr_migration_forecast`.
    public static func migrationForecast(json: String) -> String {
        respond { () throws(DirtyRingError) in
            try Forecast(decode(ForecastParameters.self, from: json))
        }
    }

    /// `dr_precheck_decide`.
    public static func precheckDecide(json: String) -> String {
        respond { () throws(DirtyRingError) in
            try PrecheckDecision.decide(decode(PrecheckDecision.Request.self, from: json))
        }
    }

    /// `{"ok": value}`.
    public static func ok<T: Encodable>(_ value: T) -> String {
        encode(Envelope(ok: value, error: nil))
    }

    /// `{"error": {...}}`.
    public static func error(_ error: DirtyRingError) -> String {
        encode(Envelope<Never?>(ok: nil, error: error))
    }

    /// Decodes a request, mapping every failure to a `DirtyRingError`: unparsable text to
    /// `malformedJSON`, a wrong shape to `invalidRequest` naming the field, and a configuration
    /// value out of range to the `invalidConfig` error it raised.
    public static func decode<T: Decodable>(_ type: T.Type, from json: String) throws(DirtyRingError) -> T {
        let data = Data(json.utf8)
        let decoder = JSONDecoder()
        do {
            _ = try decoder.decode(JSONValue.self, from: data)
        } catch {
            throw DirtyRingError(kind: .malformedJSON, message: "the request is not valid JSON")
        }
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DirtyRingError {
            throw error
        } catch let error as DecodingError {
            throw requestError(error)
        } catch {
            throw DirtyRingError(kind: .invalidRequest, message: "the request is invalid: \(error)")
        }
    }

    private static func requestError(_ error: DecodingError) -> DirtyRingError {
        let message: String
        switch error {
        case .keyNotFound(let key, let context):
            message = "the request lacks the field '\(path(context.codingPath + [key]))'"
        case .valueNotFound(let type, let context):
            message = "the field '\(path(context.codingPath))' is null; expected \(describe(type))"
        case .typeMismatch(let type, let context):
            message = context.codingPath.isEmpty
                ? "the request must be a JSON object"
                : "the field '\(path(context.codingPath))' has the wrong type; expected \(describe(type))"
        case .dataCorrupted(let context):
            message = "the field '\(path(context.codingPath))' is invalid: \(context.debugDescription)"
        @unknown default:
            message = "the request is invalid"
        }
        return DirtyRingError(kind: .invalidRequest, message: message)
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Bool.Type: "a boolean"
        case is Int.Type, is RingSize.Type: "an integer"
        case is Double.Type: "a number"
        case is String.Type, is Version.Type: "a string"
        case is [String].Type: "an array of strings"
        default: "an object"
        }
    }

    public static func respond<T: Encodable>(_ body: () throws(DirtyRingError) -> T) -> String {
        do {
            return ok(try body())
        } catch {
            return self.error(error)
        }
    }

    private struct Envelope<T: Encodable>: Encodable {
        var ok: T?
        var error: DirtyRingError?
    }

    private static func encode<T: Encodable>(_ envelope: Envelope<T>) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(envelope) else {
            return #"{"error":{"kind":"internal","message":"the response could not be encoded"}}"#
        }
        return String(decoding: data, as: UTF8.self)
    }
}
