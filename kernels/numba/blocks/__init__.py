"""Building blocks of the Numba kernel paths (:mod:`kernels.numba.paths`): numerics only.

``scalar`` (activations, one output row), ``vecmath`` (vectorisable exp/log1p),
``vector`` (whole-block activations, output layer and the push-down), ``dense`` (forward
products), ``grads`` (weight gradients), ``microkernels`` (register tiles in LLVM vector code),
``prefetch`` (a software prefetch hint), ``update`` (parameter updates).
"""
