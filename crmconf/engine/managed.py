"""The managed record: what crmconf manages on one target, kept in the target itself.

Modelled on Kubernetes ApplySets for *where* and *what*: the record lives in the target (a CI runner
and a laptop read the same one) and holds membership only, address and kind, never attributes, because
every plan reads the live attributes anyway. From Terraform state it takes `serial` and `lineage` (a
saved plan made against another version of the record is refused) and the vocabulary users know:
adopt (import), forget (`removed` / `state rm`).

What the record decides: a live object crmconf manages that the spec no longer declares is a planned,
destructive delete; one it never managed is unmanaged, left alone unless its kind is pruned.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from crmconf import __version__
from crmconf import address as addr
from crmconf.engine.resource import Snapshot
from crmconf.engine.state import StateStore
from crmconf.errors import UsageError

KEY = "managed"
FORMAT = 1
CREATED, ADOPTED = "created", "adopted"


@dataclass(frozen=True)
class Entry:
    kind: str
    how: str  # CREATED by an apply, or ADOPTED: it existed when the spec first declared it


@dataclass(frozen=True)
class ManagedRecord:
    target: str
    entries: Mapping[str, Entry] = field(default_factory=dict)
    serial: int = 0  # 0: no record has been written yet
    lineage: str = ""  # one id for the life of the record: a record from elsewhere is not this one
    applied_at: str = ""
    applied_by: str = ""
    spec_digest: str = ""
    tool_version: str = ""

    def __contains__(self, address: object) -> bool:
        return address in self.entries

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(e.kind for e in self.entries.values())


def load(data: bytes | None, target: str, where: str) -> ManagedRecord:
    if data is None:
        return ManagedRecord(target)
    try:
        raw = json.loads(data.decode("utf-8"))
        if raw.get("format") != FORMAT:
            raise ValueError(f"format {raw.get('format')!r}, this crmconf reads {FORMAT}")
        entries = {a: Entry(str(e["kind"]), str(e["how"])) for a, e in raw["managed"].items()}
        return ManagedRecord(
            target=str(raw["target"]),
            entries=entries,
            serial=int(raw["serial"]),
            lineage=str(raw["lineage"]),
            applied_at=str(raw.get("applied_at", "")),
            applied_by=str(raw.get("applied_by", "")),
            spec_digest=str(raw.get("spec_digest", "")),
            tool_version=str(raw.get("tool_version", "")),
        )
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(
            f"the managed record in {where} cannot be read ({exc}); nothing was planned. "
            "Restore it from the journal's last apply, or remove it to start a new record "
            "(crmconf then treats every live object the spec does not declare as unmanaged)"
        ) from exc


def dump(record: ManagedRecord) -> bytes:
    payload: dict[str, Any] = {
        "format": FORMAT,
        "target": record.target,
        "serial": record.serial,
        "lineage": record.lineage,
        "applied_at": record.applied_at,
        "applied_by": record.applied_by,
        "spec_digest": record.spec_digest,
        "tool_version": record.tool_version,
        "managed": {a: {"kind": e.kind, "how": e.how} for a, e in sorted(record.entries.items())},
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")


def read(store: StateStore, target: str) -> ManagedRecord:
    return load(store.read(KEY), target, store.location)


def write(store: StateStore, record: ManagedRecord) -> None:
    store.write(KEY, dump(record))


@dataclass(frozen=True)
class Membership:
    """What a plan does to the record besides the changes: shown in the plan, done by the next apply."""

    location: str
    shared: bool
    serial: int
    adopt: tuple[str, ...] = ()  # declared and live, not yet recorded: recorded as managed
    forget: tuple[str, ...] = ()  # recorded, no longer declared, listed as unmanaged: dropped, kept live
    vanished: tuple[str, ...] = ()  # recorded, no longer declared, already gone live: dropped

    @property
    def pending(self) -> bool:
        """Only a forget is a decision someone made; adoption and vanishing are bookkeeping."""
        return bool(self.forget)


def membership(
    record: ManagedRecord,
    store: StateStore,
    owned: Iterable[str],
    desired: set[str],
    snapshot: Snapshot,
    accepted: Mapping[str, str],
) -> Membership:
    recorded = set(record.entries)
    gone = [a for a in recorded - desired if a not in snapshot.objects and _was_read(a, record, snapshot)]
    return Membership(
        location=store.location,
        shared=store.shared,
        serial=record.serial,
        adopt=tuple(sorted(a for a in owned if a in snapshot.objects and a not in recorded)),
        forget=tuple(sorted(a for a in recorded - desired if a in snapshot.objects and a in accepted)),
        vanished=tuple(sorted(gone)),
    )


def _was_read(address: str, record: ManagedRecord, snapshot: Snapshot) -> bool:
    """Absent from a fetch that read its kind; a kind the fetch skipped proves nothing."""
    return not snapshot.kinds or record.entries[address].kind in snapshot.kinds


def retiring(record: ManagedRecord, desired: set[str], accepted: Mapping[str, str]) -> frozenset[str]:
    """Recorded addresses the spec dropped and nobody asked to keep: the diff deletes them."""
    return frozenset(a for a in record.entries if a not in desired and a not in accepted)


def after_apply(
    record: ManagedRecord,
    member: Membership,
    *,
    applied: Iterable[tuple[str, str, str]],  # (address, kind, action) of every change that applied
    owned: Mapping[str, str],  # address -> kind of every object the spec declares and crmconf owns
    digest: str,
    when: str,
    who: str,
) -> ManagedRecord:
    """The record an apply leaves: what it created, what the spec declares and was live, minus deletes."""
    entries = dict(record.entries)
    for a in (*member.forget, *member.vanished):
        entries.pop(a, None)
    for address, kind, action in applied:
        if action == "delete":
            entries.pop(address, None)
        elif address in owned and action in ("create", "replace"):
            entries[address] = Entry(kind, CREATED)
        elif address in owned:
            entries.setdefault(address, Entry(kind, ADOPTED))
    for address in member.adopt:
        entries.setdefault(address, Entry(owned.get(address, addr.kind_of(address)), ADOPTED))
    return ManagedRecord(
        target=record.target,
        entries=entries,
        serial=record.serial + 1,
        lineage=record.lineage or uuid.uuid4().hex,
        applied_at=when,
        applied_by=who,
        spec_digest=digest,
        tool_version=__version__,
    )
