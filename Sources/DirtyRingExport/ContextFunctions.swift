import DirtyRingCore
import DirtyRingHost

/// Opens a context; see `dr_context_open` in dirtyring.h.
@c public func dr_context_open(
    _ configJSON: UnsafePointer<CChar>?,
    _ libvirtConnection: UnsafeMutableRawPointer?,
    _ errorJSON: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> UnsafeMutableRawPointer? {
    errorJSON?.pointee = nil
    do {
        let configuration = try ABIRequests.decode(ContextConfiguration.self, from: try requestText(configJSON))
        let context = try HostContext.open(configuration, sharing: libvirtConnection)
        return contextHandles.register(context)
    } catch {
        errorJSON?.pointee = exportString(ABIRequests.error(error))
        return nil
    }
}

/// Releases a context; see `dr_context_close` in dirtyring.h.
@c public func dr_context_close(_ context: UnsafeMutableRawPointer?) {
    contextHandles.unregister(context)
}

/// Probes the host; see `dr_host_probe` in dirtyring.h.
@c public func dr_host_probe(_ context: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<CChar>? {
    exportString(ABIRequests.respond { () throws(DirtyRingError) -> HostReport in
        try contextHandles.object(context).probe()
    })
}

/// Qualifies the host's dirty ring; see `dr_ring_qualify` in dirtyring.h.
@c public func dr_ring_qualify(
    _ context: UnsafeMutableRawPointer?, _ requestJSON: UnsafePointer<CChar>?
) -> UnsafeMutablePointer<CChar>? {
    exportString(ABIRequests.respond { () throws(DirtyRingError) -> RingQualification in
        let host = try contextHandles.object(context)
        let request = try ABIRequests.decode(QualifyRequest.self, from: try requestText(requestJSON))
        return try host.qualify(kernelPath: request.kernelPath, ringSize: request.ringSize)
    })
}
