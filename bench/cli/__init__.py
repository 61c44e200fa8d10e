"""The ``mlpbench`` command line: the parser (:mod:`bench.cli.main`) and one module per group
of commands, plus the shared training options (:mod:`bench.cli.options`).

Owns argument parsing, exit codes and printing. May import anything in ``bench``; nothing in
``bench`` imports it (the entry point is ``bench.cli.main:main``).
"""
