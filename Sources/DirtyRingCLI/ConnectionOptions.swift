import ArgumentParser
import DirtyRingHost

/// Options that say how to reach libvirt and KVM.
struct ConnectionOptions: ParsableArguments {
    @Option(name: [.short, .customLong("connect")], help: "libvirt URI.")
    var uri: String = ContextConfiguration.defaultLibvirtURI

    @Option(help: "KVM device.")
    var kvmDevice: String = ContextConfiguration.defaultKVMDevice

    @Option(help: "Upper bound of each libvirt call, in seconds.")
    var timeout: Double = ContextConfiguration.defaultTimeoutSeconds

    @Option(help: "Where the host's ring qualification verdicts are kept.")
    var stateDir: String = ContextConfiguration.defaultStateDir

    var configuration: ContextConfiguration {
        var configuration = ContextConfiguration(libvirtURI: uri, kvmDevice: kvmDevice, timeoutSeconds: timeout)
        configuration.stateDir = stateDir
        return configuration
    }
}
