/// The transient guest the ring selftest boots: the dirtyring test guest with the ring on.
public struct CanaryDomain: Equatable, Sendable {
    public var name: String
    /// The test guest's multiboot ELF, booted as `<kernel>`.
    public var kernelPath: String
    /// Where the guest's serial console is written.
    public var serialPath: String
    /// Ring entries per vCPU: the size this host gives its guests (Nova's default is 4096).
    public var ringSize: Int
    /// Working set and write rate of the guest, MiB and MiB/s (0: as fast as it can): four
    /// times the pages of a 4096-entry ring, rewritten as fast as possible, so one measurement
    /// fills the ring many times. (Here, a canary paced at 100 MiB/s survived up to five ring
    /// readings in some runs; an unpaced one stalled on the first reading 4 times of 4.)
    public var workingSetMiB: Int = 64
    public var rateMiBPerSecond: Int = 0

    public init(name: String, kernelPath: String, serialPath: String, ringSize: Int = 4096) {
        self.name = name
        self.ringSize = ringSize
        self.kernelPath = kernelPath
        self.serialPath = serialPath
    }

    /// The domain XML: 1 vCPU, 128 MiB, no disk or network, serial to a file.
    public var xml: String {
        """
        <domain type='kvm'>
          <name>\(escape(name))</name>
          <description>nova-dirtyring ring selftest canary</description>
          <memory unit='MiB'>128</memory>
          <vcpu>1</vcpu>
          <os>
            <type arch='x86_64' machine='pc'>hvm</type>
            <kernel>\(escape(kernelPath))</kernel>
            <cmdline>mb=\(workingSetMiB) rate=\(rateMiBPerSecond)</cmdline>
          </os>
          <features>
            <acpi/>
            <kvm>
              <dirty-ring state='on' size='\(ringSize)'/>
            </kvm>
          </features>
          <clock offset='utc'/>
          <on_poweroff>destroy</on_poweroff>
          <on_reboot>destroy</on_reboot>
          <on_crash>destroy</on_crash>
          <devices>
            <serial type='file'>
              <source path='\(escape(serialPath))' append='off'/>
              <target port='0'/>
            </serial>
            <controller type='usb' model='none'/>
            <memballoon model='none'/>
          </devices>
        </domain>
        """
    }

    private func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "'": result += "&apos;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
