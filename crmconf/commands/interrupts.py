"""Ctrl-C and SIGTERM during an apply: finish the change in flight, record it, then stop.

The first signal only asks the run to stop; the apply loop asks between batches, so nothing is cut
half-way and every outcome is journaled. A second signal stops at once (KeyboardInterrupt): the run is
then left unfinished in the journal, and the next crmconf run re-reads what it had in flight.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from crmconf.ui import Console

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def stop_requests(console: Console) -> Iterator[Callable[[], str]]:
    """Yields `stop()`: the name of the signal received, or "" while none was."""
    received: list[str] = []
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield lambda: ""
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if received:
            raise KeyboardInterrupt(name)
        received.append(name)
        console.err(f"\n{name}: stopping after the change in flight (again to stop at once; "
                    "the next run then re-reads what was in flight)")

    previous: dict[int, Any] = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield lambda: received[0] if received else ""
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


class Terminated(KeyboardInterrupt):
    """SIGTERM outside the apply loop: unwinds like Ctrl-C, so every `finally` (the apply lock) runs."""


@contextlib.contextmanager
def terminations_unwind() -> Iterator[None]:
    """Turn SIGTERM into an exception while held. Python's default for SIGTERM ends the process at once,
    skipping `finally` blocks, and a lock held in the target would stay behind."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def deferred(console: Console | None, doing: str, *, then_stop: bool) -> Iterator[None]:
    """Let a short step that must not be cut in half (taking or releasing the apply lock) finish
    whatever signal comes. `then_stop`: a signal received meanwhile stops the run right after the step
    (taking the lock); otherwise the step is the run's last and the run ends as it would have
    (releasing it: the work is done by then, and cutting the step short would only leave a lock)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[str] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)
        after = "then stopping" if then_stop else "the last step; the run ends right after"
        if console is not None:
            console.err(f"\n{received[-1]}: {doing} first, {after}")

    previous: dict[int, Any] = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
    if received and then_stop:
        raise Terminated(received[0]) if received[0] == "SIGTERM" else KeyboardInterrupt(received[0])
