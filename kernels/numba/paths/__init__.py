"""One module per kernel path of the Numba backends (:mod:`kernels.paths` names them).

Each module holds the path's whole algorithm: its ``train`` driver (what it prepares, then
:func:`kernels.numba.steps.step_loop` over its ``step``) and the forward, backward and
update calls of one mini-batch in the order they run. The building blocks they call live
in :mod:`kernels.numba.blocks`.
"""
