"""Load and scale benchmarks (see BENCHMARKS.md)."""
