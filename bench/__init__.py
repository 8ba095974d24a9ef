"""The benchmarks (run on demand; each bench_*.py is a script) and what they share."""
