"""`crmconf unlock LOCK_ID`: remove an apply lock its run left behind (Terraform's `force-unlock`).

A lock stays behind only when its run could not release it: killed with -9, a CI runner lost, the
vendor unreachable at the very end. crmconf never removes one by itself; a person who knows no run is
using the target names the lock by its id (the refusal printed it), confirms, and it is removed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from crmconf.engine import lock
from crmconf.engine.state import store_for
from crmconf.errors import UsageError
from crmconf.providers import opened
from crmconf.ui import Console
from crmconf.validation import require_valid


def run(root: Path, *, lock_id: str, target: str | None, force: bool, today: date, console: Console) -> int:
    ws = require_valid(root, today)
    with opened(ws.spec, ws.sources, root, target) as (name, provider):
        store = store_for(provider, ws.root, name)
        found = lock.current(store, name)
        if found is None:
            raise UsageError(f"target {name} is not locked ({lock.place(store)} does not exist); nothing was removed")
        if found.id != lock_id:
            raise UsageError(f"the lock on target {name} is {found.id}, not {lock_id} "
                             f"({lock.describe(found, lock.utcnow())}); nothing was removed")
        now = lock.utcnow()
        console.err(f"target {name}: {lock.describe(found, now)}; kept in {lock.place(store)}")
        if not (found.stale(now) or found.on_this_host_and_gone()):
            console.err("warning: this lock is not stale: its run may still be changing the CRM. Removing it lets "
                        "another apply start alongside it.")
        if not force:
            if not console.interactive():
                raise UsageError(f"no terminal to confirm: make sure no crmconf run uses target {name}, then run "
                                 "again with --force; the lock stays")
            if not click.confirm("Remove this lock?", default=False, err=True):
                raise UsageError("not confirmed; the lock stays")
        lock.remove(store, name, lock_id)
    console.err(f"removed lock {lock_id}: target {name} is unlocked")
    return 0
