"""Every JSON file mlpbench writes is strict JSON (``null``, never ``NaN``) and matches its
committed JSON Schema (``docs/schema/``); files of older versions with ``NaN`` still load.

Real output is checked: a small sweep, an ``eta`` run (whose probes have no validation
numbers: the file the issue found holding 70 bare ``NaN``), a tuning file written by
``save_wisdom``, the site's copies of the result files, and the run files committed under
``results/``.
"""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import run_cli
from needs import require

from bench import strict_json
from bench.results import load_run, save_run

jsonschema = require("jsonschema", "test")  # skipped without the test extra, failed in CI

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "docs" / "schema"
TINY = ["--sizes", "784,10", "--train-size", "200", "--val-size", "50", "--backend", "numpy",
        "--quiet", "--no-plot"]  # fmt: skip


def strict_load(text: str | bytes) -> Any:
    """Parse as a strict parser (``JSON.parse``, jq) does: NaN and Infinity are errors."""

    def reject(word: str) -> None:
        raise ValueError(f"{word} is not JSON")

    return json.loads(text, parse_constant=reject)


def as_written_now(path: Path) -> Any:
    """The file at ``path`` as this mlpbench writes it (older schema versions migrated)."""
    return strict_load(strict_json.dumps(load_run(path).to_dict()))


def validate(document: Any, schema: str) -> None:
    """Raise unless ``document`` matches ``docs/schema/<schema>.schema.json``."""
    spec = json.loads((SCHEMAS / f"{schema}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(spec)
    jsonschema.Draft202012Validator(spec).validate(document)


def test_sweep_run_file_is_strict_and_matches_the_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.json"
    code, _, err = run_cli(["sweep", *TINY, "--epochs", "1", "--batch-sizes", "10,50",
                            "--json", str(path)], capsys)  # fmt: skip
    assert code == 0, err
    raw = strict_load(path.read_bytes())
    validate(raw, "run")
    assert len(raw["trials"]) == 2


def test_eta_run_file_is_strict_and_matches_the_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["eta", *TINY, "--epochs", "1", "--probe-epochs", "1", "--refine", "0",
            "--results-dir", str(tmp_path)]  # fmt: skip
    code, _, err = run_cli(argv, capsys)
    assert code == 0, err
    [path] = (tmp_path / "runs").glob("eta-*.json")
    raw = strict_load(path.read_bytes())
    validate(raw, "run")
    points = [p for t in raw["trials"] for p in t["curve"]]
    assert points and all(p["val_accuracy"] is None and p["val_cost"] is None for p in points)
    assert all(isinstance(p["train_set_accuracy"], float) for p in points)


def test_tuning_file_is_strict_and_matches_the_schema(tmp_path: Path) -> None:
    from bench.kernel_tuning import Shape, Tuned, save_wisdom

    path = tmp_path / "wisdom.json"
    shape = Shape("numba", (784, 30, 10), "float32", 1, 10)
    rates = {"loops": 1.5e5, "gemm": 2.5e5, "blas": math.inf}  # a call too fast to time
    save_wisdom([Tuned(shape, rates, "gemm")], path)
    raw = strict_load(path.read_bytes())
    validate(raw, "tuning")
    assert raw["choices"][shape.key()]["samples_per_s"]["blas"] is None


def test_schema_rejects_what_is_not_a_run() -> None:
    good = as_written_now(ROOT / "tests" / "fixtures" / "run_machine_a.json")
    validate(good, "run")
    bad = json.loads(json.dumps(good))
    bad["trials"][0]["summary"]["best_val_accuracy"] = "0.9"
    with pytest.raises(jsonschema.ValidationError):
        validate(bad, "run")
    del good["trials"]
    with pytest.raises(jsonschema.ValidationError):
        validate(good, "run")


def test_committed_run_files_are_strict_and_match_the_schema() -> None:
    runs = [p for p in sorted((ROOT / "results").rglob("*.json"))
            if {"schema_version", "trials"} <= set(json.loads(p.read_text()))]  # fmt: skip
    assert runs
    for path in runs:
        strict_load(path.read_bytes())
        validate(as_written_now(path), "run")


def test_old_file_with_nan_loads_and_is_saved_strict(tmp_path: Path) -> None:
    raw = strict_load((ROOT / "tests" / "fixtures" / "run_machine_a.json").read_bytes())
    raw["trials"][0]["curve"][0]["val_cost"] = math.nan
    raw["trials"][0]["summary"]["gflops"] = math.inf
    old = tmp_path / "old.json"
    old.write_text(json.dumps(raw))  # Python's default: bare NaN and Infinity
    assert "NaN" in old.read_text()
    run = load_run(old)
    assert math.isnan(run.trials[0].curve[0].val_cost)
    new = tmp_path / "new.json"
    save_run(run, new)
    again = strict_load(new.read_bytes())
    assert again["trials"][0]["curve"][0]["val_cost"] is None
    assert again["trials"][0]["summary"]["gflops"] is None
    assert math.isnan(load_run(new).trials[0].summary.gflops)  # null reads back as NaN
    assert load_run(new).trials[0].curve[1:] == run.trials[0].curve[1:]


def test_strict_dumps_writes_null_for_non_finite_numbers() -> None:
    assert strict_json.dumps({"a": [math.nan, -math.inf, 1.5]}) == '{"a": [null, null, 1.5]}'


def test_every_json_dump_in_bench_refuses_nan() -> None:
    """Each ``json.dump``/``json.dumps`` call in ``bench/`` passes ``allow_nan=False``, so
    a NaN that reaches a new writer fails loudly instead of writing a non-JSON file."""
    loose = []
    for path in sorted((ROOT / "bench").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            func = node.func if isinstance(node, ast.Call) else None
            if (isinstance(func, ast.Attribute) and func.attr in ("dump", "dumps")
                    and isinstance(func.value, ast.Name) and func.value.id == "json"):  # fmt: skip
                assert isinstance(node, ast.Call)
                strict = any(k.arg == "allow_nan" and isinstance(k.value, ast.Constant)
                             and k.value.value is False for k in node.keywords)  # fmt: skip
                if not strict:
                    loose.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not loose, f"json.dump(s) without allow_nan=False: {loose}"


def test_site_copies_are_strict(tmp_path: Path) -> None:
    from bench.publish.site import strict_copy

    raw = b'{"a": NaN, "b": [1, Infinity], "c": "NaN"}'
    assert strict_load(strict_copy(raw)) == {"a": None, "b": [1, None], "c": "NaN"}
    good = b'{"a": 1}'
    assert strict_copy(good) is good  # a strict file is copied byte for byte
