"""Benchmarks and their labelled sets; may import any layer."""
