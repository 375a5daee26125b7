"""Benchmarks: `python -m bench [NAME ...]` runs them and rewrites docs/benchmarks.md."""
