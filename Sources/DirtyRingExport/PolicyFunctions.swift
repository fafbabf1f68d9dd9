import DirtyRingCore

/// Returns the ABI version of this library (`DR_ABI_VERSION` in dirtyring.h).
@c public func dr_abi_version() -> UInt32 { 2 }

/// Validates the configuration; see `dr_config_check` in dirtyring.h.
@c public func dr_config_check(_ request: UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>? {
    respond(to: request, with: ABIRequests.configCheck(json:))
}

/// Decides the ring for a booting guest; see `dr_ring_decide` in dirtyring.h.
@c public func dr_ring_decide(_ request: UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>? {
    respond(to: request, with: ABIRequests.ringDecide(json:))
}

/// Checks a live-migration destination; see `dr_destination_check` in dirtyring.h.
@c public func dr_destination_check(_ request: UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>? {
    respond(to: request, with: ABIRequests.destinationCheck(json:))
}

/// Checks a live-migration source; see `dr_source_check` in dirtyring.h.
@c public func dr_source_check(_ request: UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>? {
    respond(to: request, with: ABIRequests.sourceCheck(json:))
}

/// Builds the combined `<kvm>` element; see `dr_kvm_element` in dirtyring.h.
@c public func dr_kvm_element(_ request: UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>? {
    respond(to: request, with: ABIRequests.kvmElement(json:))
}

/// Forecasts a pre-copy live migration; see `dr_migration_forecast` in dirtyring.h.
@c public func dr_migration_forecast(_ request: UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>? {
    respond(to: request, with: ABIRequests.migrationForecast(json:))
}

/// Decides the pre-flight check of a live migration; see `dr_precheck_decide` in dirtyring.h.
@c public func dr_precheck_decide(_ request: UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>? {
    respond(to: request, with: ABIRequests.precheckDecide(json:))
}
