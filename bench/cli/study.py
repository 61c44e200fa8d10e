"""``mlpbench study …`` and the shared-storage options of ``search`` and ``sweep``.

* ``mlpbench study create NAME --storage URL``: create the tables and the study once
  (optional: workers also create it, race-free).
* ``mlpbench study trials NAME --storage URL``: every trial with its worker, host,
  parameters and state.
* ``mlpbench study export NAME --storage URL --json PATH``: the whole study as one run
  JSON (a machine per trial) for ``compare`` and ``report``.
* ``mlpbench study fail-stale NAME --storage URL [--older-than S]``: set the trials of
  crashed workers to FAIL and queue a copy of each (the journal storage has no heartbeat).
* ``mlpbench sweep --storage URL --study NAME``: the sweep as a queue study shared by
  every machine started with the same options (:mod:`bench.search.distributed`).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import optuna
from rich.console import Console
from rich.table import Table

from bench.cli.options import RESULTS_DIR, check_results_dir
from bench.config import ConfigError, TrialSpec
from bench.progress import stdout_console
from bench.results import Run, save_run
from bench.runner import PlannedTrial, new_run
from bench.search.patience import WAIT_S, StorageLostError
from bench.search.storage import StorageTimes, journal_path, mask_url, open_storage, where
from bench.search.study import (
    KIND_ATTR,
    LABEL_ATTR,
    MACHINE_ATTR,
    SURPLUS_ATTR,
    WORKER_ATTR,
    export_run,
    fail_stale,
)
from bench.write_errors import naming


def add_storage_options(p: argparse.ArgumentParser, *, study_option: bool = True) -> None:
    """``--storage``, ``--heartbeat``, ``--grace``, ``--storage-wait`` (and ``--study``)."""
    if study_option:
        p.add_argument("--study", default=None, help="study name; an existing one is resumed")
    p.add_argument(
        "--storage",
        default=None,
        metavar="URL",
        help="Optuna storage shared by several machines: postgresql://USER:PW@HOST/DB "
        "(pip install 'mlpbench[postgres]'), mysql+pymysql://…, sqlite:///FILE (one host); "
        f"default: the journal file {RESULTS_DIR}/studies/<study>.journal",
    )
    p.add_argument(
        "--heartbeat", type=int, default=10, metavar="S",
        help="relational storages: running trials beat every S seconds (default 10)",
    )  # fmt: skip
    p.add_argument(
        "--grace", type=int, default=30, metavar="S",
        help="a trial silent this long is failed and re-run elsewhere (default 30)",
    )  # fmt: skip
    p.add_argument(
        "--storage-wait", type=float, default=WAIT_S, metavar="S",
        help="relational storages: wait this long for a lost database connection to come "
        f"back (a restart, a fail-over) before giving up with exit 2 (default {WAIT_S:g})",
    )  # fmt: skip


def journal_faults(storage: str | None, results: Path, study: str) -> AbstractContextManager[None]:
    """A full disk or missing permission while Optuna writes the journal file of ``study``
    (no ``--storage``) as one :class:`WriteError` naming that file; the trials already in
    the journal stay there, and the same command with ``--study`` continues the study."""
    return naming(journal_path(results, study)) if storage is None else nullcontext()


def storage_times_from_args(args: argparse.Namespace) -> StorageTimes:
    """The heartbeat, grace and wait given on the command line, checked."""
    if args.heartbeat < 1:
        raise ConfigError("--heartbeat", f"{args.heartbeat} s is < 1")
    if args.grace <= args.heartbeat:
        raise ConfigError("--grace", f"{args.grace} s must exceed --heartbeat {args.heartbeat} s")
    if not args.storage_wait >= 0:  # also NaN
        raise ConfigError("--storage-wait", f"{args.storage_wait} s: give seconds >= 0")
    return StorageTimes(interval=args.heartbeat, grace=args.grace, wait=args.storage_wait)


def resume_command(args: argparse.Namespace, study: str) -> str:
    """The command line that resumes this one (same options, ``--study`` named, passwords
    masked), for messages."""
    argv = list(getattr(args, "argv", None) or sys.argv[1:])
    if not any(a == "--study" or a.startswith("--study=") for a in argv):
        argv += ["--study", study]
    return shlex.join(["mlpbench", *(mask_url(a) for a in argv)])


def lost_with_resume(err: StorageLostError, args: argparse.Namespace, study: str) -> ConfigError:
    """``err`` as one line that ends with the command resuming the work."""
    return err.with_resume(resume_command(args, study))


def _load(args: argparse.Namespace) -> optuna.Study:
    results = Path(args.results_dir)
    storage = open_storage(args.storage, results, args.name, storage_times_from_args(args))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        return optuna.load_study(study_name=args.name, storage=storage)
    except KeyError:
        names = [s.study_name for s in optuna.get_all_study_summaries(storage)]
        raise ConfigError(
            "NAME",
            f"no study {args.name!r} in {where(args.storage, results, args.name)}; "
            f"studies there: {', '.join(names) or 'none'}",
        ) from None


def trials_table(study: optuna.Study) -> Table:
    """Every trial: number, worker, host, parameters, state (retries and surplus marked)."""
    trials = study.get_trials(deepcopy=False)
    names = sorted({k for t in trials for k in t.params})
    table = Table(title=f"study {study.study_name}: {len(trials)} trials")
    for col in ("trial", "worker", "host", *names, "state", "note"):
        table.add_column(col, justify="right" if col == "trial" else "left")
    for t in trials:
        note = []
        if "failed_trial" in t.system_attrs:
            note.append(f"re-run of {t.system_attrs['failed_trial']}")
        if t.user_attrs.get(SURPLUS_ATTR):
            note.append("given up: total reached")
        if LABEL_ATTR in t.user_attrs:
            note.append(str(t.user_attrs[LABEL_ATTR]))
        machine = t.user_attrs.get(MACHINE_ATTR) or {}
        table.add_row(
            str(t.number),
            str(t.user_attrs.get(WORKER_ATTR, "")),
            str(machine.get("hostname", "")),
            *[f"{v:.4g}" if isinstance(v := t.params.get(n, ""), float) else str(v) for n in names],
            t.state.name,
            "; ".join(note),
        )
    return table


def cmd_study(args: argparse.Namespace) -> int:
    """``mlpbench study ACTION NAME``: create, list trials, export or fail stale trials."""
    out = stdout_console()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.action == "create":
        storage = open_storage(
            args.storage, Path(args.results_dir), args.name, storage_times_from_args(args)
        )
        optuna.create_study(
            study_name=args.name, storage=storage, direction="maximize", load_if_exists=True
        )
        location = where(args.storage, Path(args.results_dir), args.name)
        out.print(f"study {args.name} ready in {location}", highlight=False)
        return 0
    study = _load(args)
    if args.action == "trials":
        out.print(trials_table(study))
    elif args.action == "fail-stale":
        failed = fail_stale(study, args.older_than)
        out.print(f"failed and re-queued: {', '.join(map(str, failed)) or 'none'}")
    else:
        if not args.json:
            raise ConfigError("--json", "export needs --json PATH")
        run = export_study(study, args)
        save_run(run, Path(args.json))
        hosts = sorted({(t.machine or {}).get("hostname", "?") for t in run.trials})
        out.print(f"{len(run.trials)} trials from {', '.join(hosts) or 'no host'}: {args.json}")
    return 0


def export_study(study: optuna.Study, args: argparse.Namespace) -> Run:
    """The whole study as one run; the top-level machine is the exporting host's."""
    run = new_run(str(study.user_attrs.get(KIND_ATTR, "search")), dtype="float64", threads=1,
                  peak=False)  # fmt: skip
    location = where(args.storage, Path(args.results_dir), args.name)
    run.notes.update(study=study.study_name, storage=location)
    return export_run(study, run)


def cmd_distributed_sweep(
    args: argparse.Namespace, planned: list[PlannedTrial], base: TrialSpec, kind: str = "sweep"
) -> Run:
    """``mlpbench sweep --storage URL --study NAME``: run this worker's share, save the study."""
    from bench.report import sweep_table
    from bench.search.distributed import run_distributed

    if not args.study:
        raise ConfigError("--study", "a shared sweep needs a name every worker is given")
    results = check_results_dir(Path(args.results_dir))
    err = Console(stderr=True)
    err.print(
        f"shared {kind} {args.study} in {where(args.storage, results, args.study)}: "
        f"{len(planned)} trials over every worker",
        highlight=False,
    )
    try:
        with journal_faults(args.storage, results, args.study):
            study = run_distributed(
                planned,
                study_name=args.study,
                storage_url=args.storage,
                results_dir=results,
                kind=kind,
                times=storage_times_from_args(args),
            )
    except StorageLostError as lost:
        raise lost_with_resume(lost, args, args.study) from None
    run = new_run(kind, dtype=base.train.dtype, threads=base.train.threads)
    run.notes.update(study=args.study, storage=where(args.storage, results, args.study))
    run = export_run(study, run)
    json_arg = getattr(args, "json", None)
    path = Path(json_arg) if json_arg else results / "runs" / f"{run.run_id}.json"
    save_run(run, path)
    out = stdout_console()
    out.print(sweep_table(run))
    out.print(f"run saved: {path} ({len(run.trials)} of {len(planned)} trials so far)")
    return run


def register_study(sub: Any) -> None:
    """Add ``study`` to the ``mlpbench`` subparsers."""
    p = sub.add_parser("study", help="shared Optuna studies: create, trials, export, fail-stale")
    p.add_argument("action", choices=["create", "trials", "export", "fail-stale"])
    p.add_argument("name", help="study name")
    add_storage_options(p, study_option=False)
    p.add_argument(
        "--results-dir",
        default=RESULTS_DIR,
        help=f"where the journal files live (default {RESULTS_DIR}/)",
    )
    p.add_argument("--json", default=None, metavar="PATH", help="export: the run JSON to write")
    p.add_argument(
        "--older-than", type=float, default=None, metavar="S",
        help="fail-stale without a heartbeat (journal): trials running longer than S seconds",
    )  # fmt: skip
    p.set_defaults(handler=cmd_study)
