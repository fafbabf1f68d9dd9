// Placeholder until the host service lands.
