"""``mlpbench search``: Optuna search from the command line (see :mod:`bench.search.search`).

Prints a rich table of the best trials, the parameter importances and the winning
configuration as a ``mlpbench train`` command line; writes the optimization-history PNG
and the run JSON (kind ``search``) under ``--results-dir``.
"""

from __future__ import annotations

import argparse
import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import optuna
from rich.console import Console
from rich.table import Table

from bench.cli.options import (
    add_training_command,
    apply_strip,
    check_results_dir,
    specs_from_args,
)
from bench.cli.study import (
    add_storage_options,
    journal_faults,
    lost_with_resume,
    register_study,
    storage_times_from_args,
)
from bench.config import ConfigError, TrialSpec
from bench.progress import stdout_console
from bench.recipe.recipe import train_command
from bench.results import Run, save_run
from bench.runner import DataCache, new_run
from bench.search.patience import StorageLostError
from bench.search.search import (
    PRUNERS,
    RESULT_ATTR,
    SAMPLERS,
    Dimension,
    SearchConfig,
    apply_params,
    finished,
    importances,
    load_space,
    parse_dimension,
    run_search,
    study_run,
)
from bench.search.storage import open_storage, where


def best_trials_table(study: optuna.Study, top: int) -> Table:
    """The ``top`` trials by best validation accuracy (completed ones first)."""
    done = [t for t in finished(study) if t.value is not None or RESULT_ATTR in t.user_attrs]

    def score(t: optuna.trial.FrozenTrial) -> float:
        if t.value is not None:
            return t.value
        r = t.user_attrs.get(RESULT_ATTR)
        return float(r["summary"]["best_val_accuracy"]) - 1.0 if r else -2.0  # pruned last

    table = Table(
        title=f"study {study.study_name}: best {min(top, len(done))} of {len(done)} finished trials"
    )
    names = sorted({k for t in done for k in t.params})
    for col in ("#", "trial", "best val", "state", *names, "images", "train s"):
        table.add_column(col, justify="right")
    for rank, t in enumerate(sorted(done, key=score, reverse=True)[:top], 1):
        r = t.user_attrs.get(RESULT_ATTR, {})
        s = r.get("summary", {})
        acc = s.get("best_val_accuracy")
        table.add_row(
            str(rank),
            str(t.number),
            f"{acc:.2%}" if acc is not None else "—",
            t.state.name.lower(),
            *[
                f"{t.params.get(n, ''):.4g}"
                if isinstance(t.params.get(n), float)
                else str(t.params.get(n, ""))
                for n in names
            ],
            f"{s.get('images_seen', 0):,}",
            f"{s.get('train_seconds', 0.0):.2f}",
        )
    return table


def _dimensions(args: argparse.Namespace) -> list[Dimension]:
    """The parameters of ``--space`` and ``--space-file``; the other search options checked."""
    if args.sampler not in SAMPLERS:
        raise ConfigError("--sampler", f"unknown {args.sampler!r}; use {', '.join(SAMPLERS)}")
    if args.pruner not in PRUNERS:
        raise ConfigError("--pruner", f"unknown {args.pruner!r}; use {', '.join(PRUNERS)}")
    if args.workers < 1:
        raise ConfigError("--workers", f"{args.workers} is < 1")
    dims = [parse_dimension(s) for s in args.space or []]
    if args.space_file:
        dims += load_space(Path(args.space_file))
    if not dims:
        raise ConfigError("--space", "give at least one, e.g. --space eta=log:0.01:10")
    if len({d.name for d in dims}) != len(dims):
        raise ConfigError("--space", "a parameter is given twice")
    return dims


def _trial_count(args: argparse.Namespace, dims: list[Dimension]) -> int:
    """``--trials``, else the grid's size with the grid sampler, else 20."""
    if args.trials is not None:
        return int(args.trials)
    trials = 1
    for d in dims:
        trials *= len(d.grid(args.grid_points))
    return trials if args.sampler == "grid" else 20


def _report_study(
    out: Console,
    args: argparse.Namespace,
    study: optuna.Study,
    spec: TrialSpec,
    run: Run,
    json_path: Path,
) -> None:
    """Print the best trials, the importances and the winner's command; fill ``run.notes``."""
    out.print(best_trials_table(study, args.top))
    imp = importances(study)
    if isinstance(imp, str):
        out.print(f"parameter importances: {imp}")
    else:
        out.print("parameter importances: " + ", ".join(f"{k} {v:.0%}" for k, v in imp.items()))
        run.notes["importances"] = imp
    if run.concurrent:
        out.print("[yellow]trials ran concurrently: their elapsed times share cores[/]")
    complete = [t for t in finished(study) if t.value is not None]
    if not complete:
        out.print("no completed trial yet")
        return
    best = max(complete, key=lambda t: t.value or 0.0)
    final = train_command(apply_params(spec, best.params))
    run.notes.update(best_trial=best.number, best_value=best.value, final_command=final)
    if not args.no_plot:
        from bench.plots import save_figure
        from bench.recipe.plots import optimization_history

        png = save_figure(optimization_history(study), json_path.with_suffix(".png"))
        out.print(f"optimization history: {png}")
    out.print(f"best: trial {best.number}, best validation accuracy {best.value:.2%}")
    out.print(shlex.join(final), highlight=False, soft_wrap=True)


def cmd_search(args: argparse.Namespace) -> int:
    """``mlpbench search``: run (or resume) an Optuna study and report it."""
    out, err = stdout_console(), Console(stderr=True)
    dims = _dimensions(args)
    spec = apply_strip(args, specs_from_args(args, mini_batch=args.batch_size))
    results = check_results_dir(Path(args.results_dir))
    name = args.study or f"search-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    times = storage_times_from_args(args)
    open_storage(args.storage, results, name, times)  # a bad URL fails before any work
    data = DataCache().get(spec)
    cfg = SearchConfig(
        base=spec.to_dict(),
        max_images=spec.train.epochs * data.n_train,
        dims=tuple(dims),
        study=name,
        storage_url=args.storage,
        results_dir=str(results),
        sampler=args.sampler,
        pruner=args.pruner,
        seed=args.seed,
        grid_points=args.grid_points,
        times=times,
    )
    trials = _trial_count(args, dims)
    location = where(args.storage, results, name)
    err.print(
        f"study {name} in {location}: {trials} trials in all, sampler {args.sampler}, "
        f"pruner {args.pruner}, {args.workers} worker(s)",
        highlight=False,
    )
    try:
        with journal_faults(args.storage, results, name):
            study = run_search(cfg, trials=trials, workers=args.workers)
        run = study_run(
            study,
            new_run("search", dtype=spec.train.dtype, threads=spec.train.threads, peak=False),
        )
        run.notes.update(study=name, storage=location, sampler=args.sampler, pruner=args.pruner)
        json_path = results / "runs" / f"{run.run_id}.json"
        _report_study(out, args, study, spec, run, json_path)
    except StorageLostError as lost:
        raise lost_with_resume(lost, args, name) from None
    save_run(run, json_path)
    out.print(f"run saved: {json_path}")
    return 0


def register(sub: Any) -> None:
    """Add ``search`` (and the ``study`` commands) to the ``mlpbench`` subparsers."""
    p = add_training_command(
        sub, "search", "automated search on Optuna (grid/random/tpe/gp/cmaes)", cmd_search
    )
    p.add_argument("--sampler", default="tpe", help=f"{'|'.join(SAMPLERS)} (default tpe)")
    p.add_argument("--pruner", default="none", help=f"{'|'.join(PRUNERS)} (default none)")
    p.add_argument(
        "--trials",
        type=int,
        default=None,
        help="finished trials the study should reach, over all its workers on all machines "
        "(default: the grid, else 20)",
    )
    p.add_argument(
        "--space",
        action="append",
        metavar="NAME=KIND:LOW:HIGH",
        help="searched parameter, e.g. eta=log:0.01:10 or batch_size=choice:10,100; "
        "names: eta lmbda mu batch_size epochs hidden; kinds: log float int "
        "logint choice",
    )
    p.add_argument("--space-file", metavar="TOML", help='a [space] table of NAME = "KIND:…"')
    p.add_argument("--grid-points", type=int, default=3, help="grid values per range (3)")
    add_storage_options(p)
    p.add_argument(
        "--workers", type=int, default=1,
        help="local worker processes (spawn); start the same command on other machines "
        "with the same --study and --storage to add more",
    )  # fmt: skip
    p.add_argument("--top", type=int, default=10, help="rows in the best-trials table")
    register_study(sub)
