"""No import cycle among the project's modules (``kernels/``, ``bench/``, ``suites/``).

Dependencies point one way (CLI -> harness -> kernels), so the import graph must have a
topological order. Every ``import`` counts, at module level and inside functions (a
function-level import dodges the cycle at load time but keeps the two modules tangled);
relative imports are resolved, and ``from pkg import name`` is an import of ``pkg.name``
when that is a module. A parent package's ``__init__`` is not counted as imported by its
submodules' imports (that is how packages load, not a dependency).
"""

from __future__ import annotations

import ast
import graphlib
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kernels", "bench", "suites")


def module_names(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file under ``packages`` of ``root``."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name ``from <node.module> import …`` names, relative levels resolved."""
    if not node.level:
        return node.module or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, node.module] if node.module else parts)


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is a project module (``a.b.f`` -> ``a.b``)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if (prefix := ".".join(parts[:end])) in modules:
            return prefix
    return None


def imports_of(module: str, modules: dict[str, Path]) -> set[str]:
    """The project modules ``module`` imports anywhere in its source (not itself)."""
    path = modules[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, path.name == "__init__.py", node)
            names += [f"{base}.{alias.name}" for alias in node.names]
    found = {_known(name, modules) for name in names}
    return {name for name in found if name is not None and name != module}


def import_graph(root: Path, packages: Iterable[str]) -> dict[str, set[str]]:
    """Module -> the project modules it imports."""
    modules = module_names(root, packages)
    return {module: imports_of(module, modules) for module in modules}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (``[a, b, …, a]``) in ``graph``, or None when it has none."""
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        return list(error.args[1])
    return None


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def test_the_project_has_no_import_cycle() -> None:
    """The real tree: every import counted, no cycle."""
    graph = import_graph(ROOT, PACKAGES)
    assert len(graph) > 100, "the scan found too few modules: wrong root?"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("bench.ceiling", "bench.machine"),
        ("bench.kernel_tuning", "bench.train"),
        ("bench.publish.html", "bench.publish.publish"),
    ],
)
def test_the_cycles_once_found_stay_broken(first: str, second: str) -> None:
    """The pairs that imported each other (issue 20): at most one direction is left."""
    graph = import_graph(ROOT, PACKAGES)
    assert first in graph and second in graph
    assert not (second in graph[first] and first in graph[second])


def test_function_level_and_relative_imports_count(tmp_path: Path) -> None:
    """A cycle closed only by a function-level relative import is found and named."""
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg import b\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/c.py": "def f():\n    from .. import a\n    return a\n",
            "pkg/b.py": "import os\n\ndef g():\n    from .sub.c import f\n    return f\n",
        },
    )
    graph = import_graph(tmp_path, ["pkg"])
    assert graph["pkg.a"] == {"pkg.b"}
    assert graph["pkg.b"] == {"pkg.sub.c"}
    assert graph["pkg.sub.c"] == {"pkg.a"}
    cycle = find_cycle(graph)
    assert cycle is not None and set(cycle) == {"pkg.a", "pkg.b", "pkg.sub.c"}


def test_a_name_from_a_module_is_an_import_of_the_module(tmp_path: Path) -> None:
    """``from pkg.m import name`` imports ``pkg.m``; no cycle without a way back."""
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "from .m import VALUE\n",
            "pkg/m.py": "VALUE = 1\n",
            "pkg/n.py": "from pkg.m import VALUE\nfrom pkg import m\n",
        },
    )
    graph = import_graph(tmp_path, ["pkg"])
    assert graph == {"pkg": {"pkg.m"}, "pkg.m": set(), "pkg.n": {"pkg.m"}}
    assert find_cycle(graph) is None
