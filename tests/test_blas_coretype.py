"""OpenBLAS kernels narrower than the CPU (bench/blas_coretype.py, bench/cli/entry.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from fake_blas import AVX2, AVX512
from fake_blas import openblas as _openblas

from bench import blas_coretype as bc
from bench.cli import entry


def test_haswell_kernels_on_an_avx512_cpu_are_recognised_with_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(bc.CORETYPE_ENV, raising=False)
    assert bc.narrow_blas(_openblas("Haswell"), AVX512) == "Haswell"
    assert bc.fix_for(AVX512) == "SkylakeX"
    line = bc.advice("Haswell", AVX512)
    assert "256-bit Haswell kernels on this AVX-512 CPU" in line
    assert "export OPENBLAS_CORETYPE=SkylakeX" in line
    record = bc.coretype_record(_openblas("Haswell"), AVX512)
    assert record["narrower_than_cpu"] == "Haswell"
    assert record["fix"] == "OPENBLAS_CORETYPE=SkylakeX"


@pytest.mark.parametrize(
    ("arch", "flags"),
    [
        ("SkylakeX", AVX512),
        ("Cooperlake", AVX512),
        ("Haswell", AVX2),
        ("Zen", AVX2),
        ("Haswell", set()),
    ],
)
def test_kernels_as_wide_as_the_cpu_or_unknown_flags_are_left_alone(
    arch: str, flags: set[str]
) -> None:
    assert bc.narrow_blas(_openblas(arch), flags) is None


def test_core_types_the_cpu_can_run_widest_first() -> None:
    assert bc.coretype_for(AVX512) == ["Cooperlake", "SkylakeX", "Haswell", "Zen"]
    assert bc.coretype_for(AVX2) == ["Haswell"]
    assert bc.coretype_for({"sse2"}) == []


class _ExecError(Exception):
    pass


def _fake_exec(seen: list[Any]) -> Any:
    def execve(path: str, argv: list[str], env: dict[str, str]) -> None:
        seen.append((path, argv, env))
        raise _ExecError

    return execve


@pytest.mark.parametrize(
    ("user", "arch", "reexec"),
    [(None, "Haswell", True), ("Haswell", "Haswell", False), (None, "SkylakeX", False)],
)
def test_entry_reexecs_only_when_narrow_and_never_over_the_user(
    monkeypatch: pytest.MonkeyPatch, user: str | None, arch: str, reexec: bool
) -> None:
    import threadpoolctl

    if user is None:
        monkeypatch.delenv(bc.CORETYPE_ENV, raising=False)
    else:
        monkeypatch.setenv(bc.CORETYPE_ENV, user)
    monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda: _openblas(arch))
    monkeypatch.setattr(bc, "cpu_flags", lambda *a: set(AVX512))
    seen: list[Any] = []
    monkeypatch.setattr(os, "execve", _fake_exec(seen))
    monkeypatch.setattr(sys, "argv", ["mlpbench", "sweep", "--epochs", "1"])
    if reexec:
        with pytest.raises(_ExecError):
            entry._fix_coretype()
        _, argv, env = seen[0]
        assert argv[1:] == ["-m", "bench.cli", "sweep", "--epochs", "1"]
        assert env[bc.CORETYPE_ENV] == "SkylakeX" == env[bc.SET_BY_MLPBENCH_ENV]
    else:
        entry._fix_coretype()
        assert seen == []


def test_who_set_the_core_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(bc.CORETYPE_ENV, raising=False)
    monkeypatch.delenv(bc.SET_BY_MLPBENCH_ENV, raising=False)
    assert bc.set_by() is None
    monkeypatch.setenv(bc.CORETYPE_ENV, "SkylakeX")
    assert bc.set_by() == "user"
    assert bc.user_environment()[bc.CORETYPE_ENV] == "SkylakeX"
    monkeypatch.setenv(bc.SET_BY_MLPBENCH_ENV, "SkylakeX")
    assert bc.set_by() == "mlpbench"
    assert bc.CORETYPE_ENV not in bc.user_environment()  # children can run it as installed


def test_the_command_keeps_a_users_narrow_core_type_and_says_so_once(tmp_path: Any) -> None:
    """The real console entry, with the user's OPENBLAS_CORETYPE=Haswell: kept, recorded,
    one note on stderr (and the fix) where the CPU is wider than AVX2."""
    env = dict(os.environ, OPENBLAS_CORETYPE="Haswell", MLPBENCH_CEILINGS="off")
    env.pop(bc.SET_BY_MLPBENCH_ENV, None)
    done = subprocess.run([sys.executable, "-m", "bench.cli", "machine"], env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "OpenBLAS kernels running: Haswell" in done.stdout
    assert "OPENBLAS_CORETYPE=Haswell (set by user)" in done.stdout
    if (bc.cpu_vector_bits(bc.cpu_flags()) or 0) > 256:
        assert done.stderr.count("(yours, kept)") == 1
        assert "OPENBLAS_CORETYPE=SkylakeX would use its full width" in done.stderr
    else:
        assert "yours, kept" not in done.stderr
