"""Comparing and publishing results: nothing here trains.

:mod:`~bench.publish.compare` (runs and pytest-benchmark files aligned),
:mod:`~bench.publish.publish` (publishable tables: Markdown, HTML, CSV),
:mod:`~bench.publish.html` and :mod:`~bench.publish.site` with
:mod:`~bench.publish.site_plots` (the static site). May import the core modules of
``bench`` (results, groups, plots, markdown, machine); never :mod:`bench.cli`, the recipe or
the search.
"""
