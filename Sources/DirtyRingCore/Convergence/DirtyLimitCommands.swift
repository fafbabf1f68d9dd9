/// The QMP commands of QEMU's dirty-limit (QEMU 7.1, `qapi/migration.json`), as sent through
/// libvirt's monitor pass-through, and the reading of their answers.
public enum DirtyLimitCommands {
    /// Limits every vCPU to `megabytesPerSecond` MiB/s of dirtied memory.
    public static func set(megabytesPerSecond: Int) -> String {
        #"{"execute": "set-vcpu-dirty-limit", "arguments": {"dirty-rate": \#(max(0, megabytesPerSecond))}}"#
    }

    /// Lifts the limit of every vCPU.
    public static let cancel = #"{"execute": "cancel-vcpu-dirty-limit"}"#

    /// Lists the vCPUs that have a limit.
    public static let query = #"{"execute": "query-vcpu-dirty-limit"}"#

    /// One vCPU's limit as `query-vcpu-dirty-limit` reports it.
    public struct Limit: Equatable, Sendable {
        public var vcpu: Int
        public var limitMegabytesPerSecond: Int
        public var currentMegabytesPerSecond: Int
    }

    /// The limits in a `query-vcpu-dirty-limit` answer (`{"return": [...]}`); an empty list
    /// when no vCPU is limited. Throws `libvirt` with QEMU's message for an error answer and
    /// `internal` for an answer of another shape.
    public static func limits(inAnswer answer: String) throws(DirtyRingError) -> [Limit] {
        let document: OsloJSON
        do {
            document = try OsloJSONParser.parse(answer)
        } catch {
            throw DirtyRingError(kind: .internal, message: "QEMU's answer to query-vcpu-dirty-limit is not JSON")
        }
        try checkAnswer(document, to: "query-vcpu-dirty-limit")
        guard case .array(let items)? = document["return"] else {
            throw DirtyRingError(kind: .internal, message: "QEMU's answer to query-vcpu-dirty-limit has no list")
        }
        return items.compactMap { item in
            guard case .integer(let vcpu)? = item["cpu-index"], case .integer(let limit)? = item["limit-rate"] else {
                return nil
            }
            let current: Int = if case .integer(let value)? = item["current-rate"] { value } else { 0 }
            return Limit(vcpu: vcpu, limitMegabytesPerSecond: limit, currentMegabytesPerSecond: current)
        }
    }

    /// Lifts the limit of every vCPU through `execute` (which sends one command and returns
    /// QEMU's answer) and checks with a query that no vCPU keeps one.
    public static func lift(through execute: (String) throws(DirtyRingError) -> String) throws(DirtyRingError) {
        try checkAnswer(try execute(cancel), to: "cancel-vcpu-dirty-limit")
        let left = try limits(inAnswer: try execute(query))
        guard left.isEmpty else {
            throw DirtyRingError(
                kind: .libvirt, message: "vCPUs \(left.map(\.vcpu)) keep a dirty-limit after cancel-vcpu-dirty-limit")
        }
    }

    /// Throws `libvirt` with QEMU's message when `answer` (a command's reply) is an error.
    public static func checkAnswer(_ answer: String, to command: String) throws(DirtyRingError) {
        guard let document = try? OsloJSONParser.parse(answer) else {
            throw DirtyRingError(kind: .internal, message: "QEMU's answer to \(command) is not JSON")
        }
        try checkAnswer(document, to: command)
    }

    private static func checkAnswer(_ document: OsloJSON, to command: String) throws(DirtyRingError) {
        guard let error = document["error"] else { return }
        let text: String = if case .string(let description)? = error["desc"] { description } else { "an error" }
        throw DirtyRingError(kind: .libvirt, message: "QEMU refused \(command): \(text)")
    }
}
