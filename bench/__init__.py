"""Benchmark scripts (not tests): ``python -m bench.run all`` writes bench/RESULTS.md."""
