"""How ``mlpbench`` stops on a signal: Ctrl-C (SIGINT) and ``kill`` (SIGTERM) end a run
between trials, never in the middle of saving one.

SIGINT raises ``KeyboardInterrupt`` (Python's own handler) and SIGTERM raises
:class:`Terminated`, a ``KeyboardInterrupt``, once :func:`sigterm_raises` has installed its
handler; the CLI turns either into one line and exit status 130 or 143. While a file is
written, :func:`signals_held` holds both back and delivers them after the write.

A signal the process was started with ignored stays ignored: a background job of a
non-interactive shell (``mlpbench sweep … &`` in a script) starts with SIGINT ignored, so
that a Ctrl-C meant for the script in the foreground does not reach it; Python and the GNU
tools keep that choice and so does mlpbench. Such a job is stopped with SIGTERM
(``kill PID``), with the same guarantee as Ctrl-C.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HELD = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop like Ctrl-C (finished trials are saved), exit status 143."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block SIGTERM raises :class:`Terminated` (main thread; a SIGTERM the
    process was started with ignored, or handled by someone else, is left alone)."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM)
    if not main or previous != signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back during the block and deliver them after it (main
    thread only; an ignored signal stays ignored)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are handled in the main thread only
        return
    previous = {s: signal.getsignal(s) for s in HELD}
    held = [s for s in HELD if previous[s] not in (signal.SIG_IGN, None)]
    caught: list[int] = []
    for s in held:
        signal.signal(s, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for s in held:
            signal.signal(s, previous[s])
    for num in dict.fromkeys(caught):  # each signal once, in the order they came
        handler = previous[signal.Signals(num)]
        if callable(handler):
            handler(num, None)  # Python's SIGINT handler raises KeyboardInterrupt
        elif num == signal.SIGINT:
            raise KeyboardInterrupt
        else:
            signal.raise_signal(num)  # the default action (SIGTERM: terminate)
