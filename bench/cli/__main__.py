"""``python -m bench.cli``: the same as the ``mlpbench`` command."""

from bench.cli.entry import run

run()
