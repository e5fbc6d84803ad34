"""Pure scoring functions: strings in, numbers (and a trace of how) out."""
