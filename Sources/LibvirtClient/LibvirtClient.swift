// Placeholder until the typed libvirt wrappers land.
