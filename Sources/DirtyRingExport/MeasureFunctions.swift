import DirtyRingCore
import DirtyRingHost

/// Measures the dirty rate of running guests; see `dr_dirty_rate_measure` in dirtyring.h.
@c public func dr_dirty_rate_measure(
    _ context: UnsafeMutableRawPointer?, _ requestJSON: UnsafePointer<CChar>?
) -> UnsafeMutablePointer<CChar>? {
    exportString(ABIRequests.respond { () throws(DirtyRingError) -> MeasureRequest.Response in
        let host = try contextHandles.object(context)
        let request = try ABIRequests.decode(MeasureRequest.self, from: try requestText(requestJSON))
        return MeasureRequest.Response(
            try host.measure(domains: request.domains, seconds: request.seconds, mode: request.mode))
    })
}
