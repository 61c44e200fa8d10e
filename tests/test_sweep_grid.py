"""``mlpbench sweep`` over a grid of architectures × mini-batch sizes, end to end: trials,
grouped table, Pareto front, one JSON and one plot; a combination that does not fit the data
exits 2 before any training; resuming a half-finished grid runs only what is missing;
``compare`` and ``report`` read grid runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import FAST, run_cli, wide_console  # noqa: F401 (autouse fixture)

from bench.results import atomic_write_text

SMALL = ["--train-size", "300", "--val-size", "100", "--epochs", "1", "--quiet",
         "--backend", FAST, "--monitor-every", "100"]  # fmt: skip
GRID = ["--sizes", "784,30,10", "784,100,10"]


def test_architecture_grid_runs_six_trials_with_table_front_json_and_plot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["sweep", *SMALL, *GRID, "--batch-sizes", "1,10,100", "--target", "0.5",
            "--results-dir", str(tmp_path)]  # fmt: skip
    code, out, _ = run_cli(argv, capsys)
    assert code == 0, out
    [path] = list((tmp_path / "runs").glob("sweep-*.json"))
    assert [p.name for p in (tmp_path / "runs").glob("*.png")] == [path.with_suffix(".png").name]
    assert path.with_suffix(".png").stat().st_size > 10_000
    run = json.loads(path.read_text())
    configs = [(t["config"]["net"]["sizes"], t["config"]["train"]["mini_batch"])
               for t in run["trials"]]  # fmt: skip
    assert configs == [(s, mb) for s in ([784, 30, 10], [784, 100, 10]) for mb in (1, 10, 100)]
    rows = [line.split() for line in out.splitlines() if line.lstrip().startswith("784,")]
    assert [r[:2] for r in rows[:6]] == [[s, mb] for s in ("784,30,10", "784,100,10")
                                         for mb in ("1", "10", "100")]  # fmt: skip
    assert "time–accuracy Pareto front" in out
    assert "Most accurate: [784," in out
    front = run["notes"]["pareto"]["front"]
    assert front and all(p["config"] in run["notes"]["pareto"]["best_within"] for p in front)
    times = [p["seconds"] for p in front]
    accs = [p["accuracy"] for p in front]
    assert times == sorted(times) and accs == sorted(accs)


def test_a_combination_that_does_not_fit_the_data_exits_2_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["sweep", *SMALL, "--sizes", "784,30,10", "784,30,5", "--batch-sizes", "10",
            "--results-dir", str(tmp_path)]  # fmt: skip
    code, _, err = run_cli(argv, capsys)
    assert code == 2
    line = " ".join(err.split())
    assert "--sizes" in line and "10 classes" in line and "[784,30,5] mb=10" in line, err
    assert len(err.strip().splitlines()) <= 2 and "Traceback" not in err  # one (wrapped) line
    assert not list(tmp_path.rglob("*.json")), "nothing may be trained or saved"


def test_resume_of_a_half_finished_grid_runs_only_the_missing_combinations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "grid.json"
    argv = ["sweep", *SMALL, *GRID, "--batch-sizes", "10,100", "--no-plot", "--json", str(path)]
    assert run_cli(argv, capsys)[0] == 0
    full = json.loads(path.read_text())
    half = dict(full, trials=full["trials"][:2])  # as if interrupted after two trials
    atomic_write_text(path, json.dumps(half))
    assert run_cli([*argv, "--resume"], capsys)[0] == 0
    resumed = json.loads(path.read_text())
    assert [t["label"] for t in resumed["trials"]] == [t["label"] for t in full["trials"]]
    assert resumed["trials"][:2] == full["trials"][:2], "finished trials are kept, not re-run"
    assert resumed["trials"][2:] != full["trials"][2:], "missing trials ran again (new timings)"
    assert run_cli([*argv, "--resume"], capsys)[0] == 0  # complete: nothing more runs
    assert json.loads(path.read_text())["trials"] == resumed["trials"]


def test_compare_and_report_read_grid_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path in (a, b):
        argv = ["sweep", *SMALL, *GRID, "--lmbda", "0", "5", "--batch-sizes", "10", "--no-plot",
                "--json", str(path)]  # fmt: skip
        assert run_cli(argv, capsys)[0] == 0
    code, out, _ = run_cli(["compare", str(a), str(b), "--width", "250"], capsys)
    assert code == 0
    lines = out.splitlines()
    for key in ("[784,30,10]", "[784,100,10]"):  # one group header per network ...
        (head,) = [i for i, line in enumerate(lines) if key in line]
        rows = lines[head + 1 : head + 3]  # ... then its λ = 0 row and its default-λ row
        assert sorted("λ=0" in r for r in rows) == [False, True], out
        assert all("mb=10" in r and "λ=5" not in r for r in rows), out
    code, out, _ = run_cli(["report", str(a), "--format", "md"], capsys)
    assert code == 0 and "Pareto front" in out and "network" in out and "λ" in out


def test_an_option_bad_for_every_combination_is_named_without_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["sweep", *SMALL, "--sizes", "100,30,10", "--results-dir", str(tmp_path)]
    code, _, err = run_cli(argv, capsys)
    assert code == 2 and "784 features" in err and "combination" not in err, err
