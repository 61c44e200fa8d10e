"""mlpbench's harness: everything between the ``mlpbench`` command and the kernels.

Subpackages, and what each may import (one way: cli → recipe, search, publish → the core
modules here and data → ``kernels``):

* :mod:`bench.cli`: the ``mlpbench`` parser and its commands; the only code that imports it
  is the entry point.
* :mod:`bench.recipe`: the chapter's recipe (strip, η, λ, mini-batch, epochs) and ``tune``.
* :mod:`bench.search`: Optuna studies, their storage, many machines.
* :mod:`bench.publish`: comparing runs, publishable tables, the static site.
* :mod:`bench.data`: the dataset registry, loaders, downloads.

The modules directly in ``bench/`` are the core: specs (``config``), run files
(``results``), one trial (``train``), the trial loop (``runner``), the sweep grid, the
Pareto front, grouping, the run report, figures, progress, the machine and kernel tuning.
They import ``bench.data`` and ``kernels``, never a subpackage above them.
"""
