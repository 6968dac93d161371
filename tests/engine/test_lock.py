"""The apply lock over a state store (crmconf.engine.lock): one holder, the holder named, stale said, never stolen."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crmconf import __version__
from crmconf.engine import lock
from crmconf.engine.state import WorkspaceStore
from crmconf.errors import LockedError, UsageError

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
UNLOCK = "crmconf unlock {id} -t local"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> WorkspaceStore:
    return WorkspaceStore(tmp_path / ".crmconf" / "state" / "local", ".crmconf/state/local/", tmp_path)


def take(store: WorkspaceStore, clock: Clock, run: str = "run-a") -> lock.Held:
    return lock.acquire(store, "local", operation="apply", run=run, unlock=UNLOCK, clock=clock)


def test_one_holder_and_the_second_runner_is_told_who(store: WorkspaceStore) -> None:
    clock = Clock()
    first = take(store, clock)
    clock.now += timedelta(minutes=3)
    with pytest.raises(LockedError) as refused:
        take(store, clock, run="run-b")
    said = str(refused.value)
    info = first.info
    for part in (f"target local is locked by another crmconf run: lock {info.id}", f"held by {info.user}",
                 f"on {socket.gethostname()}", f"pid {os.getpid()}", "run run-a", f"crmconf {__version__}",
                 "for `crmconf apply`", "taken 2026-11-23T10:00:00+00:00", "renewed 3 min ago",
                 ".crmconf/state/local/lock.json on this machine only", "Nothing was read for a plan",
                 "Try again when that run ends"):
        assert part in said, part
    assert first.release().note == "" and store.read(lock.KEY) is None
    take(store, clock, run="run-b").release()  # free again


def test_a_lock_past_its_lease_is_called_stale_and_still_refused(store: WorkspaceStore) -> None:
    clock = Clock()
    taken = take(store, clock)
    clock.now += lock.LEASE + timedelta(minutes=2)
    with pytest.raises(LockedError) as refused:
        take(store, clock, run="run-b")
    said = str(refused.value)
    assert "looks stale (it has not been renewed for 17 min, longer than the 15-minute lease)" in said
    assert f"remove it with `crmconf unlock {taken.info.id} -t local`" in said
    assert lock.load(store.read(lock.KEY) or b"", "local").id == taken.info.id  # never taken over


def test_renewing_keeps_a_long_run_fresh_and_stops_a_run_whose_lock_was_removed(store: WorkspaceStore) -> None:
    clock = Clock()
    taken = take(store, clock)
    clock.now += timedelta(minutes=1)
    assert taken.renew() == "" and taken.info.renewed == T0  # not due yet: nothing written
    clock.now += lock.RENEW_EVERY
    assert taken.renew() == "" and taken.info.renewed == clock.now
    assert lock.load(store.read(lock.KEY) or b"", "local").renewed == clock.now
    clock.now += lock.LEASE - timedelta(minutes=1)  # 20 min after it was taken, renewed 14 min ago: not stale
    with pytest.raises(LockedError, match="Try again when that run ends"):
        take(store, clock, run="run-b")
    lock.remove(store, "local", taken.info.id)  # `crmconf unlock` while the run goes on
    assert "was removed while this run held it" in taken.renew(force=True)
    assert "was already removed" in taken.release().note


def test_release_leaves_a_lock_that_is_no_longer_this_runs(store: WorkspaceStore) -> None:
    clock = Clock()
    mine = take(store, clock)
    lock.remove(store, "local", mine.info.id)
    theirs = take(store, clock, run="run-b")
    note = mine.release().note
    assert "no longer this run's" in note and f"lock {theirs.info.id}" in note
    assert lock.current(store, "local") == theirs.info


def test_remove_needs_the_lock_id(store: WorkspaceStore) -> None:
    clock = Clock()
    with pytest.raises(UsageError, match="target local is not locked"):
        lock.remove(store, "local", "nope")
    taken = take(store, clock)
    with pytest.raises(UsageError, match=f"is {taken.info.id}, not nope"):
        lock.remove(store, "local", "nope")
    assert lock.remove(store, "local", taken.info.id) == taken.info and store.read(lock.KEY) is None


def test_an_unreadable_lock_document_counts_as_held(store: WorkspaceStore) -> None:
    store.write(lock.KEY, b"{not json")
    with pytest.raises(LockedError) as refused:
        take(store, Clock())
    said = str(refused.value)
    assert "a lock document this crmconf cannot read" in said and "looks stale (it cannot be read)" in said
    left = lock.current(store, "local")
    assert left is not None and left.id.startswith("unreadable-") and left.id in said
    lock.remove(store, "local", left.id)
    take(store, Clock()).release()


def test_a_holder_that_died_on_this_host_is_said_so(store: WorkspaceStore) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    info = lock.new("local", "apply", "run-x", T0)
    store.write(lock.KEY, lock.dump(lock.LockInfo(**{**info.__dict__, "pid": int(gone.stdout)})))
    with pytest.raises(LockedError, match=rf"Its process \({int(gone.stdout)}\) no longer runs on this host"):
        take(store, Clock())


def test_the_document_says_who_and_when(store: WorkspaceStore) -> None:
    taken = take(store, Clock())
    raw = json.loads(store.read(lock.KEY) or b"")
    assert raw == {"format": 1, "id": taken.info.id, "target": "local", "operation": "apply", "user": taken.info.user,
                   "host": socket.gethostname(), "pid": os.getpid(), "run": "run-a", "version": __version__,
                   "created": "2026-11-23T10:00:00+00:00", "renewed": "2026-11-23T10:00:00+00:00"}
    assert lock.load(lock.dump(taken.info), "local") == taken.info
