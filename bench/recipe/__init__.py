"""The chapter's recipe for choosing hyper-parameters, and ``tune``, which chains it.

:mod:`~bench.recipe.recipe` (the steps as functions: strip, η threshold, λ, choice by time),
:mod:`~bench.recipe.tune` (the stages), :mod:`~bench.recipe.report` (stage reports, the
Markdown study report) and :mod:`~bench.recipe.plots` (the recipe's figures). May import the
core modules of ``bench``, :mod:`bench.data` and ``kernels``; never :mod:`bench.cli`.
"""
