// Replaced by the load generator.
