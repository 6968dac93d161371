"""One apply at a time per target: a lock kept where the target keeps crmconf's own documents.

The lock is the document `lock` in the target's state store (crmconf.engine.state), beside the managed
record: whoever reaches the target reads the same one, so two CI runners, or a laptop and a runner,
exclude each other as far as the store can promise (`StateStore.atomic_create`; what each provider
promises is in docs/provider-contract.md). It says who holds it (user, host, pid, run id, crmconf
version, what for), when it was taken and when it was last renewed.

Terraform's state lock is the model: taken before anything is read for the plan, held to the end of
the run (the managed record written), released on every way out. A second runner is refused, and told
who holds the lock. A lock is never taken over silently: one whose holder has not renewed it for
longer than LEASE is reported as stale, with the command a person runs to remove it
(`crmconf unlock LOCK_ID`) once they know no apply is running.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from crmconf import __version__
from crmconf.engine.state import StateStore
from crmconf.errors import CrmconfError, LockedError, UsageError

KEY = "lock"
FORMAT = 1
LEASE = timedelta(minutes=15)  # a lock not renewed for longer is reported as stale (never taken over)
RENEW_EVERY = timedelta(minutes=5)  # a running apply renews between batches once this has passed
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass(frozen=True)
class LockInfo:
    id: str
    target: str
    operation: str  # "apply", or "settle" (recovery re-reading an apply that was cut short)
    user: str
    host: str
    pid: int
    run: str  # the run id the journal records for this apply
    version: str
    created: datetime
    renewed: datetime
    readable: bool = True  # False: a document crmconf could not parse (its id is a digest of its bytes)

    def age(self, now: datetime) -> timedelta:
        return now - self.renewed

    def stale(self, now: datetime, lease: timedelta = LEASE) -> bool:
        return not self.readable or self.age(now) > lease

    def on_this_host_and_gone(self) -> bool:
        """The holder ran here, and its process no longer exists (said, never acted on)."""
        if not self.readable or self.host != socket.gethostname() or self.pid <= 0:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except OSError:  # exists, owned by someone else
            return False
        return False


def new(target: str, operation: str, run: str, now: datetime) -> LockInfo:
    return LockInfo(id=str(uuid.uuid4()), target=target, operation=operation, user=_user(),
                    host=socket.gethostname(), pid=os.getpid(), run=run, version=__version__,
                    created=now, renewed=now)


def dump(info: LockInfo) -> bytes:
    raw: dict[str, Any] = {k: v for k, v in asdict(info).items() if k != "readable"}
    raw.update(format=FORMAT, created=info.created.isoformat(), renewed=info.renewed.isoformat())
    return json.dumps(raw, sort_keys=True, separators=(",", ":")).encode("utf-8")


def load(data: bytes, target: str) -> LockInfo:
    """The lock a document describes; one that does not parse still counts as held, under a digest id."""
    try:
        raw = json.loads(data.decode("utf-8"))
        if raw.get("format") != FORMAT:
            raise ValueError(f"format {raw.get('format')!r}")
        return LockInfo(id=str(raw["id"]), target=str(raw["target"]), operation=str(raw["operation"]),
                        user=str(raw["user"]), host=str(raw["host"]), pid=int(raw["pid"]), run=str(raw["run"]),
                        version=str(raw["version"]), created=datetime.fromisoformat(raw["created"]),
                        renewed=datetime.fromisoformat(raw["renewed"]))
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        never = datetime.fromtimestamp(0, UTC)
        return LockInfo(id="unreadable-" + hashlib.sha256(data).hexdigest()[:12], target=target, operation="?",
                        user="?", host="?", pid=0, run="?", version="?", created=never, renewed=never,
                        readable=False)


def place(store: StateStore) -> str:
    """Where the lock document lives, in words (a store may say it exactly through `place(key)`)."""
    exact = getattr(store, "place", None)
    return str(exact(KEY)) if callable(exact) else f"beside the managed record in {store.location}"


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute ago"
    if minutes < 120:
        return f"{minutes} min ago"
    return f"{minutes // 60} h {minutes % 60} min ago"


def describe(info: LockInfo, now: datetime) -> str:
    """Who holds the lock, for messages: everything a person needs to find the run."""
    if not info.readable:
        return f"lock {info.id}, a lock document this crmconf cannot read"
    return (f"lock {info.id}, held by {info.user} on {info.host} (pid {info.pid}, run {info.run}, crmconf "
            f"{info.version}) for `crmconf {info.operation}`, taken {info.created.isoformat()}, renewed "
            f"{_ago(now - info.renewed)}")


def refusal(info: LockInfo, target: str, where: str, now: datetime, unlock: str) -> str:
    """The message the second runner gets: who holds the lock, and what to do about it."""
    said = (f"target {target} is locked by another crmconf run: {describe(info, now)}; kept in {where}. "
            "Nothing was read for a plan and nothing was changed. ")
    command = f"`{unlock.format(id=info.id)}`"
    if info.on_this_host_and_gone():
        return said + (f"Its process ({info.pid}) no longer runs on this host: the run died. If no other crmconf "
                       f"run uses {target}, remove the lock with {command}.")
    if info.stale(now):
        why = ("it cannot be read" if not info.readable else
               f"it has not been renewed for {_ago(info.age(now)).removesuffix(' ago')}, longer than the "
               f"{int(LEASE.total_seconds() // 60)}-minute lease")
        return said + (f"The lock looks stale ({why}): the run that took it probably died (killed, a lost CI "
                       f"runner). If no crmconf run uses {target}, remove it with {command}.")
    return said + (f"Try again when that run ends. Only if it is known to be dead (its process killed), remove "
                   f"the lock with {command}.")


@dataclass(frozen=True)
class Release:
    note: str = ""  # what a person should know; "" when the lock was simply removed
    left: bool = False  # the lock is still in the target: the next run will find it


class Held:
    """A lock this run holds: renewed while the run works, released at its end."""

    def __init__(self, store: StateStore, info: LockInfo, clock: Clock) -> None:
        self.store, self.info, self.clock = store, info, clock

    def renew(self, *, force: bool = False) -> str:
        """Renew when due; "" to go on, or why the run must stop (the lock was removed from under it)."""
        now = self.clock()
        if not force and now - self.info.renewed < RENEW_EVERY:
            return ""
        try:
            current = self.store.read(KEY)
            if current is None or load(current, self.info.target).id != self.info.id:
                return (f"the apply lock {self.info.id} on {self.info.target} was removed while this run held it "
                        "(`crmconf unlock`)")
            renewed = replace(self.info, renewed=now)
            self.store.write(KEY, dump(renewed))
        except CrmconfError:
            return ""  # the vendor hiccuped: the lock stands as it was; the next batch tries again
        self.info = renewed
        return ""

    def release(self, unlock: str = "crmconf unlock {id}") -> Release:
        """Remove the lock if it is still this run's."""
        try:
            current = self.store.read(KEY)
            if current is None:
                return Release(f"the apply lock {self.info.id} was already removed (`crmconf unlock`) before this "
                               "run ended")
            holder = load(current, self.info.target)
            if holder.id != self.info.id:
                return Release(f"the lock on {self.info.target} is no longer this run's ({describe(holder, self.clock())}"
                               "): it was removed with `crmconf unlock` while this run held it; left as it is")
            self.store.delete(KEY)
        except CrmconfError as exc:
            command = unlock.format(id=self.info.id)
            return Release(f"the apply lock {self.info.id} on {self.info.target} could not be released ({exc}); "
                           f"the next run will find it: remove it with `{command}`", left=True)
        return Release()


def acquire(store: StateStore, target: str, *, operation: str, run: str, unlock: str,
            clock: Clock = utcnow, attempts: int = 3) -> Held:
    """Take the target's lock, or raise LockedError naming who holds it.

    `unlock` is the command that removes a lock, with `{id}` for its id (shown in the refusal)."""
    info = new(target, operation, run, clock())
    for _ in range(attempts):
        if store.create(KEY, dump(info)):
            return Held(store, info, clock)
        current = store.read(KEY)
        if current is not None:  # else released between our try and our look: try again
            raise LockedError(refusal(load(current, target), target, place(store), clock(), unlock))
    raise LockedError(f"the lock on target {target} changed hands {attempts} times while crmconf tried to take "
                      "it: another run is starting and ending right now; try again")


def current(store: StateStore, target: str) -> LockInfo | None:
    data = store.read(KEY)
    return None if data is None else load(data, target)


def remove(store: StateStore, target: str, lock_id: str) -> LockInfo:
    """Remove the lock `lock_id` (what `crmconf unlock` does); refused when another lock, or none, is there."""
    found = current(store, target)
    if found is None:
        raise UsageError(f"target {target} is not locked ({place(store)} does not exist); nothing was removed")
    if found.id != lock_id:
        raise UsageError(f"the lock on target {target} is {found.id}, not {lock_id} ({describe(found, utcnow())}); "
                         "nothing was removed. Check which run holds it before removing it")
    store.delete(KEY)
    return found
