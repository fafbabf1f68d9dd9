/// Seconds as an operator reads them in a message: `5`, not `5.0`; `0.5` as it is.
public func secondsText(_ seconds: Double) -> String {
    seconds == seconds.rounded() && abs(seconds) < 1e15 ? String(Int(seconds)) : String(seconds)
}
