"""Several hosts for real: one worker in its own UTS and network namespace joins a study.

As root, the test makes a network namespace joined to this one by a veth pair on a /30 of
the link-local range (169.254.0.0/16) that only it uses, has the PostgreSQL server of
``.ci/setup-postgres.sh`` listen on its end of the pair too (and accept the other end), and
runs one ``mlpbench search`` worker inside the namespace under another host name
(``unshare --uts``): a second machine as far as the study can tell. The study then records
two hosts, and ``mlpbench compare`` shows the exported run split by host. Everything it
changes (namespace, veth pair, server addresses, pg_hba line) is undone at the end, always.
Traffic stays on loopback and the pair's two addresses.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import optuna
import pytest
from pg_server import (
    admin_sql,
    fresh_schema,
    need,
    pg_ctl,
    search_worker,
    server_files,
    server_url,
    spawn,
    study_of,
    wait_for_trials,
)

from bench.cli.main import main
from bench.search.study import MACHINE_ATTR, SURPLUS_ATTR, WORKER_ATTR

STUDY = "hosts"
NS_HOST = "mlpbench-ns-worker"  # the namespaced worker's host name


@dataclass(frozen=True)
class Link:
    """A namespace ``ns`` joined to this one: ``host_ip`` here, ``ns_ip`` inside it."""

    ns: str
    veth: str
    host_ip: str
    ns_ip: str


def ip(*args: str) -> None:
    """Run ``ip ARGS`` (CalledProcessError with its message on failure)."""
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=30)


@contextmanager
def namespace_link() -> Iterator[Link]:
    """A fresh network namespace and veth pair (a /30 picked from the pid), removed after."""
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("unshare") is None:
        need("network namespaces need root and the ip and unshare programs")
    pid = os.getpid()
    octet = 16 + pid % 200
    link = Link(f"mlpb-ns{pid}", f"mlpb{pid % 100000}", f"169.254.{octet}.1",
                f"169.254.{octet}.2")  # fmt: skip
    try:
        ip("netns", "add", link.ns)
    except subprocess.CalledProcessError as err:
        need(f"network namespaces are not allowed here: {err.stderr.strip()}")
    try:
        ip("link", "add", link.veth, "type", "veth", "peer", "name", "eth0", "netns", link.ns)
        ip("addr", "add", f"{link.host_ip}/30", "dev", link.veth)
        ip("link", "set", link.veth, "up")
        for cmd in (("addr", "add", f"{link.ns_ip}/30", "dev", "eth0"),
                    ("link", "set", "eth0", "up"), ("link", "set", "lo", "up")):  # fmt: skip
            ip("-n", link.ns, *cmd)
        yield link
    finally:
        subprocess.run(["ip", "link", "del", link.veth], capture_output=True, timeout=30)
        ip("netns", "del", link.ns)


@contextmanager
def server_reachable_from(link: Link) -> Iterator[None]:
    """The server listens on ``link.host_ip`` too and lets ``link.ns_ip`` in (password
    login, as from 127.0.0.1); both undone afterwards, with a restart each way."""
    _, pg_dir = server_files()
    hba = pg_dir / "data" / "pg_hba.conf"
    before = hba.read_text()
    try:
        admin_sql(f"ALTER SYSTEM SET listen_addresses = '127.0.0.1,{link.host_ip}'")
        hba.write_text(before + f"host all all {link.ns_ip}/32 scram-sha-256\n")
        pg_ctl("restart", "-m", "fast")
        yield
    finally:
        hba.write_text(before)
        admin_sql("ALTER SYSTEM RESET listen_addresses")
        pg_ctl("restart", "-m", "fast")


def running(trials: list[optuna.trial.FrozenTrial]) -> bool:
    """A trial of the study is running."""
    return any(t.state == optuna.trial.TrialState.RUNNING for t in trials)


def test_a_worker_in_another_namespace_is_another_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.engine import make_url

    server_files()
    with namespace_link() as link, server_reachable_from(link), fresh_schema(server_url()) as url:
        there = make_url(url).set(host=link.host_ip).render_as_string(hide_password=False)
        inside = ["ip", "netns", "exec", link.ns, "unshare", "--uts", "sh", "-c",
                  f'hostname {NS_HOST} && exec "$@"', "sh"]  # fmt: skip
        # The namespaced worker stops at 2 finished trials, the local one at 4: started
        # once the first is training, each runs at least one, whatever the start-up skew.
        far = spawn(search_worker(there, STUDY, 2, tmp_path / "far"), tmp_path / "far.log", inside)
        try:
            wait_for_trials(url, STUDY, running, "the namespaced worker started no trial")
            near = spawn(search_worker(url, STUDY, 4, tmp_path / "near"), tmp_path / "near.log")
            assert near.wait(timeout=240) == 0, (tmp_path / "near.log").read_text()
            assert far.wait(timeout=240) == 0, (tmp_path / "far.log").read_text()
        finally:
            if far.poll() is None:
                far.kill()
        logs = "".join(p.read_text() for p in sorted(tmp_path.glob("*.log")))
        assert "Traceback" not in logs, logs
        done = [t for t in study_of(url, STUDY).get_trials() if t.state.name == "COMPLETE"]
        done = [t for t in done if not t.user_attrs.get(SURPLUS_ATTR)]
        hosts = {t.user_attrs[MACHINE_ATTR]["hostname"] for t in done}
        assert len(done) == 4 and hosts == {platform.node(), NS_HOST}, hosts
        assert {t.user_attrs[WORKER_ATTR].split(":")[0] for t in done} == hosts
        out = tmp_path / "hosts.json"
        assert main(["study", "export", STUDY, "--storage", url, "--json", str(out)]) == 0
        capsys.readouterr()
        monkeypatch.setenv("COLUMNS", "300")
        assert main(["compare", str(out)]) == 0
        shown = capsys.readouterr().out
        assert f"hosts@{NS_HOST}" in shown and f"hosts@{platform.node()}" in shown, shown
