// Placeholder until the pure core lands.
