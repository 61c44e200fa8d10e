"""Strict JSON (RFC 8259) for every file mlpbench writes: ``null``, never ``NaN``/``Infinity``.

Python's ``json`` writes non-finite floats as the bare words ``NaN`` and ``Infinity``, which
``JSON.parse``, jq and JSON Schema validators reject. :func:`dumps` replaces every
non-finite float by ``None`` (``null``: "no value", e.g. the validation accuracy of an
``eta`` probe that never saw validation data) and then serialises with
``allow_nan=False``, so a value that slips past fails loudly instead of writing a file
other tools cannot read. Reading stays lenient (``json.loads`` accepts ``NaN``), so old
files still load; :func:`nan_for_null` turns ``null`` back into NaN for float fields.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields
from typing import Any


def finite_or_null(obj: Any) -> Any:
    """``obj`` with every non-finite float (in dicts, lists and tuples) replaced by None."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_or_null(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite_or_null(v) for v in obj]
    return obj


def dumps(obj: Any, **options: Any) -> str:
    """``json.dumps`` of ``obj`` as strict JSON (non-finite floats as ``null``)."""
    return json.dumps(finite_or_null(obj), allow_nan=False, **options)


def nan_for_null(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    """``d`` (the fields of dataclass ``cls``) with ``None`` as NaN in fields typed ``float``.

    Strict files store a missing number as ``null``; the records keep NaN in memory, as
    before, for fields that are always numbers (``float | None`` fields keep None).
    """
    plain = {f.name for f in fields(cls) if f.type in ("float", float)}
    return {k: (math.nan if v is None and k in plain else v) for k, v in d.items()}
