"""One module per kernel path of the Numba backends (:mod:`kernels.paths` names them).

Each module holds the path's whole algorithm: the forward, backward and update calls of
one mini-batch in the order they run, its step (one of the three forms of
:mod:`kernels.numba.step_forms`, or its own), and its ``train`` driver: a slot for the
mini-batch (:func:`kernels.numba.steps.driver_of`, or what the path prepares itself), then
:func:`kernels.numba.steps.step_loop` over the step. The building blocks they call live in
:mod:`kernels.numba.blocks`.
"""
