"""The apply lock around a command (crmconf.engine.lock): taken in the target, released on every way out.

`held` wraps a whole apply, from before the plan reads the CRM to after the managed record is written.
Exceptions, Ctrl-C and SIGTERM (turned into an exception while the lock is held, since Python's default
would end the process without running any `finally`) all pass through its release; a signal that
arrives during the release waits for it. Only kill -9 or a lost machine leave the lock behind, which the
next runner is told (with the lock's age, stale after the lease) and `crmconf unlock` removes.
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
    def id(self) -> str:
        return self.taken.info.id

    def renew(self) -> str:
        return self.taken.renew()


@contextlib.contextmanager
def held(provider: object, root: Path, target: str, *, run: str, console: Console,
         operation: str = "apply") -> Iterator[Lease]:
    store = store_for(provider, root, target)
    with interrupts.terminations_unwind():
        lease = Lease(lock.acquire(store, target, operation=operation, run=run,
                                   unlock=unlock_command(root, target)))
        try:
            yield lease
        finally:
            with interrupts.deferred(console, "releasing the apply lock"):
                released = lease.taken.release(unlock_command(root, target))
            lease.left_behind = released.left
            if released.note:
                console.err(f"{'error' if released.left else 'warning'}: {released.note}")


def exit_code(code: int, lease: Lease) -> int:
    """A run that left its lock behind did not end cleanly, whatever it applied."""
    return 1 if lease.left_behind and code == 0 else code


def settling(provider: object, root: Path, target: str) -> Callable[[], contextlib.AbstractContextManager[object]]:
    """For recovery run by `plan`: the lock, held while an apply that was cut short is re-read, so
    another machine's apply running now cannot be mistaken for what the dead run had in flight."""

    @contextlib.contextmanager
    def guard() -> Iterator[object]:
        store = store_for(provider, root, target)
        taken = lock.acquire(store, target, operation="settle", run=new_run_id(),
                             unlock=unlock_command(root, target))
        try:
            yield taken
        finally:
            released = taken.release(unlock_command(root, target))
            if released.note:
                log.warning("%s", released.note)

    return guard
