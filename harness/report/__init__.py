"""Report writers. Each reads the finished run's records and writes one file atomically."""
