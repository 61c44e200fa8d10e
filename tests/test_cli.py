"""The mlpbench command line: bad input exits 2 with one clear line; runs are saved."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_helpers import FAST, run_cli, wide_console  # noqa: F401 (autouse fixture)

SMALL = ["--train-size", "300", "--val-size", "100", "--epochs", "1", "--quiet", "--no-plot"]


BAD_INPUTS = [
    (["--sizes", "100,30,10"], "--sizes", "784 features"),
    (["--sizes", "784,30,5"], "--sizes", "10 classes"),
    (["--sizes", "784"], "--sizes", "fewer than 2"),
    (["--sizes", "784,0,10"], "--sizes", "< 1"),
    (["--batch-sizes", "0"], "--batch-sizes", "1 or more"),
    (["--batch-sizes", "10,301"], "--batch-size", "larger than the 300"),
    (["--eta", "0"], "--eta", "> 0"),
    (["--eta", "-1"], "--eta", "> 0"),
    (["--lmbda", "-0.1"], "--lmbda", ">= 0"),
    (["--mu", "1"], "--mu", "[0, 1)"),
    (["--mu", "-0.5"], "--mu", "[0, 1)"),
    (["--dataset", "cifar"], "--dataset", "mnist5k"),
    (["--backend", "cuda9"], "--backend", "numba"),
    (["--cost", "hinge"], "--cost", "cross-entropy"),
    (["--activation", "gelu"], "--activation", "sigmoid"),
    (["--init", "xavier"], "--init", "default"),
    (["--dtype", "float16"], "--dtype", "float32"),
    (["--digits", "0,12"], "--digits", "0-9"),
    (["--train-size", "5000"], "--train-size", "4000"),
    (["--val-size", "2000"], "--val-size", "1000"),
    (["--repeats", "0"], "--repeats", "1 or more"),
    (["--target", "90"], "--target", "(0, 1]"),
]


@pytest.mark.parametrize(("extra", "option", "hint"), BAD_INPUTS)
def test_bad_input_exits_2_with_one_clear_line_and_trains_nothing(
    extra: list[str], option: str, hint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["sweep", *SMALL, "--results-dir", str(tmp_path), *extra]  # the last value wins
    code, _out, err = run_cli(argv, capsys)
    assert code == 2
    assert option in err and hint in err, err
    assert "Traceback" not in err
    assert not list(tmp_path.rglob("*.json")), "nothing may be trained or saved"


def test_unwritable_results_dir_is_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, _, err = run_cli(["train", *SMALL, "--results-dir", str(blocker / "sub")], capsys)
    assert code == 2 and "--results-dir" in err and "writable" in err


def test_missing_idx_files_are_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(
        ["train", "--dataset", "mnist", "--data-dir", str(tmp_path), "--results-dir",
         str(tmp_path), "--quiet"],
        capsys,
    )  # fmt: skip
    assert code == 2 and "Traceback" not in err
    assert "train-images" in err


def test_existing_json_is_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "keep.json"
    target.write_text("{precious}")
    code, _, err = run_cli(["train", *SMALL, "--json", str(target)], capsys)
    assert code == 2 and "--resume" in err
    assert target.read_text() == "{precious}"


def test_sweep_saves_json_and_plot_and_names_the_fastest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["sweep", "--train-size", "1000", "--val-size", "300", "--epochs", "2", "--quiet",
            "--batch-sizes", "10,100", "--target", "0.5", "--backend", FAST,
            "--results-dir", str(tmp_path)]  # fmt: skip
    code, out, _ = run_cli(argv, capsys)
    assert code == 0
    [path] = list((tmp_path / "runs").glob("sweep-*.json"))
    assert path.with_suffix(".png").stat().st_size > 10_000
    run = json.loads(path.read_text())
    assert [t["config"]["train"]["mini_batch"] for t in run["trials"]] == [10, 100]
    ttt = {t["config"]["train"]["mini_batch"]: t["summary"]["time_to_target_seconds"]
           for t in run["trials"]}  # fmt: skip
    fastest = min((v, mb) for mb, v in ttt.items() if v is not None)[1]
    assert f"Fastest to 50%: mini-batch {fastest} " in out
    assert "samples/s" in out


def test_diverging_trial_is_recorded_and_the_sweep_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "d.json"
    argv = ["sweep", *SMALL, "--backend", FAST, "--eta", "1e4", "--batch-sizes", "1,10",
            "--json", str(path)]  # fmt: skip
    code, out, _ = run_cli(argv, capsys)
    assert code == 0
    run = json.loads(path.read_text())
    assert [t["status"] for t in run["trials"]] == ["diverged", "diverged"]
    assert "diverged" in out


def test_train_repeats_report_median_over_seeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.json"
    code, out, _ = run_cli(
        ["train", *SMALL, "--backend", FAST, "--repeats", "3", "--json", str(path)], capsys
    )
    assert code == 0
    run = json.loads(path.read_text())
    assert [t["config"]["train"]["seed"] for t in run["trials"]] == [0, 1, 2]
    rows = [line for line in out.splitlines() if re.match(r"\s*10\s", line)]
    assert len(rows) == 1, out  # one row for the three seeds
    assert re.search(r"\s3\s+3× epochs", rows[0]), rows[0]  # seeds column and status


def test_data_command_describes_the_default_set(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["data"], capsys)
    assert code == 0 and "4,000" in out and "1,000" in out


def test_version_is_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    """``mlpbench --version`` prints the installed package's version (pyproject's)."""
    import tomllib

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    version = tomllib.loads(pyproject.read_text())["project"]["version"]
    code, out, _ = run_cli(["--version"], capsys)
    assert code == 0
    assert out.strip() == f"mlpbench {version}"


def test_own_runs_go_to_the_ignored_default_folder_not_the_published_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --results-dir a run lands in RESULTS_DIR (git-ignored), never in results/."""
    from bench.cli.options import RESULTS_DIR

    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["train", *SMALL, "--backend", "numpy"], capsys)
    assert code == 0
    [path] = (tmp_path / RESULTS_DIR / "runs").glob("train-*.json")
    assert f"run saved: {RESULTS_DIR}/runs/{path.name}" in out
    assert not (tmp_path / "results").exists()
    gitignore = Path(__file__).resolve().parent.parent / ".gitignore"
    assert f"/{RESULTS_DIR}/" in gitignore.read_text().splitlines()
