/// Returns the ABI version of this library (`DR_ABI_VERSION` in dirtyring.h).
@c public func dr_abi_version() -> UInt32 { 1 }
