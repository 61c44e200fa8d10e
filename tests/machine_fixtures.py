"""The committed results of two machines under ``tests/fixtures/`` (imported as
``machine_fixtures``: ``tests/`` is on ``sys.path`` under pytest, not a package): a
pytest-benchmark file and an mlpbench run file from each, the inputs of the compare,
report, publish and site tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
BENCH_A, BENCH_B = FIXTURES / "bench_machine_a.json", FIXTURES / "bench_machine_b.json"
RUN_A, RUN_B = FIXTURES / "run_machine_a.json", FIXTURES / "run_machine_b.json"
ALL = [BENCH_A, BENCH_B, RUN_A, RUN_B]
