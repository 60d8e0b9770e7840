"""Benchmarks (run from the repository root: ``python -m benchmarks.<name>``) and their shared generators."""
