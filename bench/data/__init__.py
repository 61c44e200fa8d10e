"""Data: the registry of sources (:mod:`~bench.data.sources`), loading into a
:class:`~bench.data.dataset.Dataset` with the run's cache (:mod:`~bench.data.dataset`), the
synthetic and user-file sources (:mod:`~bench.data.synthetic`, :mod:`~bench.data.npz`), IDX
files (:mod:`~bench.data.idx`) and verified downloads (:mod:`~bench.data.download`).

Imports only :mod:`bench.config` and :mod:`bench.results` of the core (and ``kernels`` for a
backend check); :mod:`bench.config` reads :mod:`~bench.data.sources`, which imports nothing.
This file imports nothing, so that either can be imported first.
"""
