"""Benchmarks: python -m bench lists and runs them; figures go to bench/RESULTS.md."""
