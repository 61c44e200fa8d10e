"""Optuna search: space parsing, grid coverage, pruning savings, resume, shared journal."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import optuna
import pytest
from cli_helpers import FAST, wide_console  # noqa: F401 (autouse fixture)

from bench.cli.main import main
from bench.config import ConfigError, DataSpec, NetSpec, TrainSpec, TrialSpec
from bench.runner import new_run
from bench.search.search import (
    RESULT_ATTR,
    Dimension,
    SearchConfig,
    finished,
    importances,
    load_space,
    parse_dimension,
    run_search,
    study_run,
)

N_TRAIN = 300


def config(
    tmp_path: Path,
    dims: list[Dimension],
    *,
    sampler: str = "random",
    pruner: str = "none",
    study: str = "s",
    epochs: int = 1,
) -> SearchConfig:
    spec = TrialSpec(
        net=NetSpec(sizes=(784, 10)),
        train=TrainSpec(backend=FAST, epochs=epochs, monitor_every=50),
        data=DataSpec(n_train=N_TRAIN, n_val=100),
    )
    return SearchConfig(
        base=spec.to_dict(),
        dims=tuple(dims),
        study=study,
        storage_url=None,
        results_dir=str(tmp_path),
        sampler=sampler,
        pruner=pruner,
        seed=0,
        max_images=epochs * N_TRAIN,
    )


def images(study: optuna.Study) -> int:
    return sum(t.user_attrs[RESULT_ATTR]["summary"]["images_seen"] for t in finished(study))


def test_parse_dimension() -> None:
    d = parse_dimension("eta=log:0.01:10")
    assert (d.name, d.kind, d.low, d.high) == ("eta", "log", 0.01, 10.0)
    assert parse_dimension("batch_size=log:1:100").kind == "logint"
    assert parse_dimension("batch_size=choice:10,50").choices == (10, 50)
    assert parse_dimension("eta=log:0.01:1").grid(3) == [0.01, 0.1, 1.0]
    for bad in ("speed=log:1:2", "eta=cubic:1:2", "eta=log:0:1", "eta=float:2:1", "eta=log:a"):
        with pytest.raises(ConfigError):
            parse_dimension(bad)


def test_space_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "space.toml"
    path.write_text('[space]\neta = "log:0.01:10"\nmu = "float:0:0.9"\n')
    assert [d.name for d in load_space(path)] == ["eta", "mu"]
    (tmp_path / "empty.toml").write_text("")
    with pytest.raises(ConfigError):
        load_space(tmp_path / "empty.toml")


def test_grid_visits_every_point_once(tmp_path: Path) -> None:
    dims = [parse_dimension("eta=choice:0.1,1"), parse_dimension("batch_size=choice:10,50")]
    study = run_search(config(tmp_path, dims, sampler="grid"), trials=4, workers=1)
    seen = [(t.params["eta"], t.params["batch_size"]) for t in finished(study)]
    assert sorted(seen) == sorted(itertools.product((0.1, 1.0), (10, 50)))


def test_hyperband_trains_fewer_images_than_no_pruning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker's sampler seed includes its process id (workers on one host must draw
    # different trials), so the nine learning rates changed with every pytest process.
    # A fixed id makes this test's inputs the same each run (with ids 1-72 Hyperband
    # pruned 2-6 of the 9 trials every time).
    monkeypatch.setattr("bench.search.study.os.getpid", lambda: 4242)
    dims = [parse_dimension("eta=log:0.001:10")]
    kw = {"sampler": "random", "epochs": 3}
    plain = run_search(
        config(tmp_path, dims, pruner="none", study="plain", **kw), trials=9, workers=1
    )
    hyper = run_search(
        config(tmp_path, dims, pruner="hyperband", study="hb", **kw), trials=9, workers=1
    )
    same = [t.params for t in finished(plain)] == [t.params for t in finished(hyper)]
    assert same  # the same trials, seeded
    assert any(t.state == optuna.trial.TrialState.PRUNED for t in finished(hyper))
    assert images(hyper) < images(plain) == 9 * 3 * N_TRAIN


def test_interrupted_search_resumes_without_losing_trials(tmp_path: Path) -> None:
    dims = [parse_dimension("eta=log:0.01:10")]
    first = run_search(config(tmp_path, dims), trials=3, workers=1)  # "killed" after 3
    before = {t.number: (t.params, t.value) for t in finished(first)}
    assert (tmp_path / "studies" / "s.journal").exists()
    resumed = run_search(config(tmp_path, dims), trials=5, workers=1)
    after = {t.number: (t.params, t.value) for t in finished(resumed)}
    assert sorted(after) == [0, 1, 2, 3, 4]
    assert all(after[n] == before[n] for n in before)
    run = study_run(resumed, new_run("search", dtype="float64", threads=1, peak=False))
    assert [t.label for t in run.trials] == [f"trial {n}" for n in range(5)]
    assert not run.concurrent


def test_two_workers_share_one_journal(tmp_path: Path) -> None:
    dims = [parse_dimension("eta=log:0.01:10"), parse_dimension("lmbda=log:0.01:10")]
    study = run_search(config(tmp_path, dims, study="shared"), trials=6, workers=2)
    done = finished(study)
    assert sorted(t.number for t in done) == list(range(6))
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in done)
    assert len({(t.params["eta"], t.params["lmbda"]) for t in done}) == 6  # none twice
    run = study_run(study, new_run("search", dtype="float64", threads=1, peak=False))
    assert run.concurrent and len(run.trials) == 6


def test_importances_with_too_few_trials(tmp_path: Path) -> None:
    study = run_search(config(tmp_path, [parse_dimension("eta=log:0.1:1")]), trials=1, workers=1)
    assert importances(study) == "needs at least 2 completed trials (have 1)"


def test_search_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "search",
        "--backend",
        FAST,
        "--strip",
        "--epochs",
        "1",
        "--sampler",
        "tpe",
        "--pruner",
        "median",
        "--trials",
        "3",
        "--space",
        "eta=log:0.01:10",
        "--space",
        "lmbda=log:0.01:100",
        "--space",
        "batch_size=int:1:100",
        "--study",
        "cli",
        "--quiet",
        "--results-dir",
        str(tmp_path),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "parameter importances" in out and "mlpbench train" in out
    runs = list((tmp_path / "runs").glob("*.json"))
    assert len(runs) == 1 and runs[0].with_suffix(".png").exists()
    run = json.loads(runs[0].read_text())
    assert run["kind"] == "search" and len(run["trials"]) == 3
    assert set(run["trials"][0]["params"]) == {"eta", "lmbda", "batch_size"}
    machine = run["trials"][0]["machine"]  # where the trial ran, not where it was saved
    assert machine["hostname"] and machine["isa"] and machine["gemm_peak_gflops"]
    assert machine["concurrent"] is False and machine["worker"].count(":") == 2
    argv[argv.index("--trials") + 1] = "4"  # resume the study by name: one more trial
    assert main(argv) == 0
    runs = sorted((tmp_path / "runs").glob("*.json"))
    assert max(len(json.loads(r.read_text())["trials"]) for r in runs) == 4


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--space", "nope=log:1:2"], "--space: 'nope=log:1:2': write NAME=KIND:LOW:HIGH"),
        (["--sampler", "anneal"], "--sampler: unknown 'anneal'"),
        (["--workers", "0"], "--workers: 0 is < 1"),
        ([], "--space: give at least one"),
    ],
)
def test_search_bad_input_exits_2(
    extra: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    space = [] if extra and extra[0] == "--space" else ["--space", "eta=log:0.1:1"]
    space = space if extra else []
    code = main(["search", "--backend", FAST, "--results-dir", str(tmp_path), *space, *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("mlpbench: error: ") and len(err.strip().splitlines()) == 1, err
    assert expected in err
    assert not list(tmp_path.rglob("*.json"))  # nothing ran
