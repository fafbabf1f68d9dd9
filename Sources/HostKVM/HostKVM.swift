// Placeholder until the KVM device probe lands.
