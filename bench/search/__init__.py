"""Hyper-parameter search with Optuna, on one machine or many.

:mod:`~bench.search.search` (the objective and the study loop, local workers),
:mod:`~bench.search.study` (study records, export to a run), :mod:`~bench.search.storage`
(storage URLs) with :mod:`~bench.search.journal`, and :mod:`~bench.search.distributed`
(workers on many machines). May import the core modules of ``bench``, :mod:`bench.data` and
``kernels``; never :mod:`bench.cli`.
"""
