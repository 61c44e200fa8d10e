"""Checks an Optuna journal file (``search --study``) before Optuna replays it.

Optuna's ``JournalFileBackend`` fails on a malformed journal with an ``AssertionError``
("Should not reach"), a ``UnicodeDecodeError`` or a ``JSONDecodeError`` deep inside the
replay. :func:`check_journal_file` reads the file first and turns any of those into one
:class:`~bench.config.ConfigError` naming the file and the line.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.config import ConfigError

# optuna.storages.journal JournalOperation values: CREATE_STUDY (0) … DISCARD_TRIALS (10).
OP_CODES = range(11)


def check_journal_file(path: Path, option: str = "--study") -> None:
    """ConfigError unless ``path`` is absent, empty or a well-formed Optuna journal.

    Every complete line must be a JSON object with a known ``op_code`` and the first one
    must create the study. A last line without its newline (a write in progress) is allowed,
    as Optuna allows it.
    """
    if not path.exists():
        return
    fix = "delete it or choose another --study name"
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as err:
        raise ConfigError(option, f"cannot read {path}: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise ConfigError(
            option, f"{path} is not an Optuna journal (not UTF-8 at byte {err.start}); {fix}"
        ) from None
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines, start=1):
        if not line.endswith("\n"):
            break  # an unfinished last record
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise ConfigError(
                option, f"{path} line {number} is not JSON ({err.msg}); {fix}"
            ) from None
        op = record.get("op_code") if isinstance(record, dict) else None
        if not isinstance(op, int) or isinstance(op, bool) or op not in OP_CODES:
            raise ConfigError(
                option, f"{path} line {number} is not an Optuna journal record; {fix}"
            )
        if number == 1 and op != 0:
            raise ConfigError(option, f"{path} does not start by creating a study; {fix}")
