"""The apply lock around a command (crmconf.engine.lock): taken in the target, released on every way out.

`held` wraps a whole apply, from before the plan reads the CRM to after the managed record is written;
`settling` wraps the re-read by which `plan` settles an apply that was cut short. Exceptions, Ctrl-C
and SIGTERM (turned into an exception while the lock is held: Python's default for it ends the process
without running any `finally`) all pass through the release, and a signal that arrives while the lock
document is being written or removed waits for that write. Only kill -9 or a lost machine leave the
lock behind: the next runner is told who holds it and since when (stale after the lease), and
`crmconf unlock LOCK_ID` removes it.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from crmconf.commands import interrupts
from crmconf.engine import lock
from crmconf.engine.state import store_for
from crmconf.ui import Console

log = logging.getLogger("crmconf.lock")


def new_run_id() -> str:
    """A run's id: in the lock (what the second runner is told) and in the journal (where to look)."""
    return uuid.uuid4().hex[:12]


def unlock_command(root: Path, target: str) -> str:
    """The command that removes a lock of this target, with `{id}` for the lock's id."""
    try:
        here = root.resolve() == Path.cwd().resolve()
    except OSError:
        here = False
    return "crmconf unlock {id}" + ("" if here else f" -w {root}") + f" -t {target}"


class Lease:
    """What a command holding the lock sees: renew it between batches; `left_behind` after the end."""

    def __init__(self, taken: lock.Held) -> None:
        self.taken = taken
        self.left_behind = False  # the release failed: the next run will find the lock

    @property
    def run(self) -> str:
        return self.taken.info.run

    def renew(self) -> str:
        return self.taken.renew()


@contextlib.contextmanager
def _holding(provider: object, root: Path, target: str, *, operation: str, run: str,
             console: Console | None) -> Iterator[Lease]:
    store = store_for(provider, root, target)
    unlock = unlock_command(root, target)
    lease: Lease | None = None
    with interrupts.terminations_unwind():
        try:
            # A signal while the lock is being written waits for the write: cut in half, the lock
            # could land in the target with nobody left to release it.
            with interrupts.deferred(console, "taking the apply lock", then_stop=True):
                lease = Lease(lock.acquire(store, target, operation=operation, run=run, unlock=unlock))
            yield lease
        finally:
            if lease is not None:
                with interrupts.deferred(console, "releasing the apply lock", then_stop=False):
                    released = lease.taken.release(unlock)
                lease.left_behind = released.left
                if released.note and console is not None:
                    console.err(f"{'error' if released.left else 'warning'}: {released.note}")
                elif released.note:
                    log.warning("%s", released.note)


def held(provider: object, root: Path, target: str, *, run: str,
         console: Console) -> contextlib.AbstractContextManager[Lease]:
    """The target's lock for a whole apply (LockedError, naming the holder, when another run has it)."""
    return _holding(provider, root, target, operation="apply", run=run, console=console)


def exit_code(code: int, lease: Lease) -> int:
    """A run that left its lock behind did not end cleanly, whatever it applied."""
    return 1 if lease.left_behind and code == 0 else code


def settling(provider: object, root: Path, target: str) -> Callable[[], contextlib.AbstractContextManager[object]]:
    """For the recovery `plan` runs: the lock, held while an apply that was cut short is re-read, so an
    apply running now from another machine is never mistaken for what the dead run had in flight."""
    return lambda: _holding(provider, root, target, operation="settle", run=new_run_id(), console=None)
