internal import CLibvirt

extension Domain {
    /// Starts QEMU's dirty-rate calculation over `seconds` (1...60); results appear in the
    /// `dirtyrate.*` stats once it ends.
    public func startDirtyRateCalc(seconds: Int, mode: DirtyRateCalcMode) throws(LibvirtError) {
        guard let seconds = Int32(exactly: seconds) else {
            throw LibvirtError(code: -1, domain: -1, message: "dirty-rate period \(seconds) s is out of range")
        }
        guard virDomainStartDirtyRateCalc(pointer, seconds, mode.flags) == 0 else {
            throw LibvirtError.takeLast(operation: "virDomainStartDirtyRateCalc")
        }
    }
}
