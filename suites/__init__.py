"""pytest-benchmark suites of mlpbench (run with ``pytest --benchmark-only``)."""
