"""``python -m bench.cli``: the same as the ``mlpbench`` command."""

from bench.cli.main import main

raise SystemExit(main())
