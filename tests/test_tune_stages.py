"""``tune``'s stages on their own: typed results, integers for choices, trials labelled by stage."""

from __future__ import annotations

from dataclasses import replace

from bench.config import DataSpec, NetSpec, TrainSpec, TrialSpec
from bench.data.dataset import DataCache
from bench.recipe.tune import TuneOptions, _Recorder, stage_batch, stage_epochs
from bench.results import TrialResult

SPEC = TrialSpec(
    net=NetSpec(sizes=(784, 10)),
    train=TrainSpec(backend="numpy", eta=0.5, lmbda=0.0, monitor_every=100),
    data=DataSpec(digits=(0, 1), n_train=300, n_val=60),
)


def test_batch_stage_chooses_a_mini_batch_from_the_trials_config() -> None:
    seen: list[TrialResult] = []
    opt = TuneOptions(batch_sizes=(25, 10), batch_epochs=1, patience=1, max_epochs=2)
    cache = DataCache()
    batch = stage_batch(SPEC, cache, opt, seen.append)
    assert [t.label for t in batch.trials] == ["mb=25", "mb=10"]
    assert [t.config.train.mini_batch for t in seen] == [25, 10]
    chosen = next(t for t in batch.trials if t.label == batch.choice.by_area)
    assert isinstance(batch.mini_batch, int) and batch.mini_batch == chosen.config.train.mini_batch
    assert batch.spec.train.epochs == 1
    ep = stage_epochs(batch, cache.get(SPEC), opt, seen.append)
    assert ep.spec.train.mini_batch == batch.mini_batch and ep.spec.train.early_stop == 1
    assert ep.epochs >= 1 and ep.best.val_accuracy == max(p.val_accuracy for p in ep.trial.curve)


def test_recorder_labels_each_trial_by_its_stage() -> None:
    got: list[str] = []
    rec = _Recorder(None, lambda t: got.append(t.label))
    trial = stage_batch(SPEC, DataCache(), TuneOptions(batch_sizes=(10,), batch_epochs=1),
                        rec.sink("batch")).trials[0]  # fmt: skip
    assert got == ["batch: mb=10"] and trial.label == "mb=10"
    assert [t.label for t in rec.result.trials] == ["batch: mb=10"]
    assert replace(rec.result.trials[0], label="mb=10") == trial
