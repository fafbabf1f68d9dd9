internal import CLibvirt

/// libvirt's process-wide error output, for standalone programs such as the CLI.
public enum StandaloneErrorOutput {
    /// Stops libvirt from printing every error to standard error; errors are still returned.
    ///
    /// Process-wide: never call it in a process that hosts other libvirt clients (nova-compute
    /// installs its own handler, and the library must leave it alone).
    public static func silence() {
        virSetErrorFunc(nil) { _, _ in }
    }
}
