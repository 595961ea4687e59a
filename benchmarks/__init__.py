"""Benchmarks, run as ``python -m benchmarks.<name>``; figures in ``docs/benchmarks.md``."""
