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
