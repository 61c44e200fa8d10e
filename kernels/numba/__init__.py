"""The Numba backends ``numba`` (:mod:`kernels.numba.serial`) and ``numba-parallel``
(:mod:`kernels.numba.parallel`).

* :mod:`kernels.numba.paths`: one module per kernel path, holding its whole algorithm;
* :mod:`kernels.numba.blocks`: the building blocks the paths call (scalar and vector maths,
  dense forward blocks, weight gradients, register tiles, updates);
* :mod:`kernels.numba.steps`: the one step loop and its L2 weight-scale bookkeeping;
* :mod:`kernels.numba.slots`: the scratch layout and the named argument groups;
* :mod:`kernels.numba.checks`, :mod:`kernels.numba.jit`, :mod:`kernels.numba.cache`:
  argument checks, decorators, the source-keyed on-disk cache;
* :mod:`kernels.numba.evaluate`: classification and cost of blocks of rows.
"""
