import ArgumentParser
import DirtyRingCore

/// A `DirtyRingError` shown to a person: its message on standard error and exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let error: DirtyRingError

    var description: String { error.message }

    /// Runs `body`, turning its typed error into a command failure.
    static func wrap<T>(_ body: () throws(DirtyRingError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw CommandFailure(error: error)
        }
    }
}
