"""The code stays in small pieces: no function in ``kernels/`` or ``bench/`` over 80 lines
or over 13 parameters (12 for everything but the CUDA kernels, whose launches take their
arrays and offsets flat), read with ``ast`` so nested functions count on their own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 80
MAX_PARAMS = {"kernels/cuda/kernels.py": 13}  # per file; 12 elsewhere
DEFAULT_MAX_PARAMS = 12


def functions(path: Path) -> list[tuple[str, int, int, int]]:
    """``(name, first line, lines, parameters)`` of every function defined in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            n_params = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs)
            n_params += (a.vararg is not None) + (a.kwarg is not None)
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            out.append((node.name, node.lineno, lines, n_params))
    return out


def sources() -> list[Path]:
    """Every hand-written module of ``kernels/`` and ``bench/`` (generated code aside)."""
    found = sorted(p for d in ("kernels", "bench") for p in (ROOT / d).rglob("*.py"))
    return [p for p in found if p.name != "microkernels.py"]


def test_the_tree_is_read() -> None:
    """Guard the guard: the walk finds the modules it is meant to check."""
    names = {p.relative_to(ROOT).as_posix() for p in sources()}
    assert {"kernels/numba/entry.py", "bench/train.py", "kernels/cuda/kernels.py"} <= names


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_long_or_wide_function(path: Path) -> None:
    rel = path.relative_to(ROOT).as_posix()
    limit = MAX_PARAMS.get(rel, DEFAULT_MAX_PARAMS)
    bad = [
        f"{rel}:{line} {name}: {lines} lines, {params} parameters"
        for name, line, lines, params in functions(path)
        if lines > MAX_LINES or params > limit
    ]
    assert not bad, f"over {MAX_LINES} lines or {limit} parameters: " + "; ".join(bad)


def test_a_long_and_a_wide_function_are_found(tmp_path: Path) -> None:
    """The counting itself: a 81-line function and a 13-parameter one are reported."""
    body = "\n".join(f"    x{i} = {i}" for i in range(80))
    params = ", ".join(f"p{i}" for i in range(11))
    src = f"def long():\n{body}\n\n\ndef wide({params}, *args, k=0):\n    pass\n"
    (tmp_path / "m.py").write_text(src)
    got = {name: (lines, n) for name, _, lines, n in functions(tmp_path / "m.py")}
    assert got == {"long": (81, 0), "wide": (2, 13)}
    assert got["long"][0] > MAX_LINES and got["wide"][1] > DEFAULT_MAX_PARAMS
