"""What a test needs beyond ``pip install -e .``, and what happens when it is missing
(imported as ``needs``: ``tests/`` is on ``sys.path`` under pytest, not a package).

Locally a missing extra (hypothesis, playwright: the ``test`` extra) or service (PostgreSQL,
chromium) skips the test, or the whole module, with the reason and the fix, so
``pytest --benchmark-only`` works straight after ``pip install -e .``. Where ``CI`` is set
(``.ci/run`` sets it, and tox passes it through) the same situation FAILS: CI installs every
extra and starts every service, so a missing one there is a broken setup, not a reason to
skip.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest


def missing(reason: str, provider: str) -> NoReturn:
    """Skip (locally) or fail (``CI`` set) because of ``reason``; ``provider`` names what
    should have supplied the missing piece in CI (a setup script, tox's deps)."""
    __tracebackhide__ = True  # report the caller's line, not this one
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: {provider} should have provided it)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require(module: str, extra: str) -> ModuleType:
    """``module`` imported, or the calling test/module skipped (failed under CI) naming the
    extra of ``pyproject.toml`` that installs it."""
    __tracebackhide__ = True
    try:
        return importlib.import_module(module)
    except ImportError:
        missing(
            f"{module} is not installed (the '{extra}' extra: pip install -e '.[{extra}]')",
            "tox (tox.ini deps)",
        )
