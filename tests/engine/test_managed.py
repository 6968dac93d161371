"""The managed record (what crmconf manages), the state stores, and the tracking around the diff."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crmconf.engine import managed
from crmconf.engine.resource import LiveObject, Snapshot
from crmconf.engine.state import WorkspaceStore, check_key
from crmconf.errors import UsageError


def _snapshot(*addresses: str, kinds: tuple[str, ...] = ("field",)) -> Snapshot:
    return Snapshot({a: LiveObject(a, "field", {}) for a in addresses}, frozenset(kinds))


def _record(**entries: str) -> managed.ManagedRecord:
    return managed.ManagedRecord("t", {a.replace("__", "."): managed.Entry("field", how) for a, how in entries.items()},
                                 serial=3, lineage="abc")


def test_membership_adopts_forgets_and_drops() -> None:
    record = _record(field__deal__kept="created", field__deal__dropped="created", field__deal__gone="adopted",
                     field__deal__forgotten="created")
    store = WorkspaceStore(Path("/nowhere"), "x/")
    live = _snapshot("field.deal.kept", "field.deal.dropped", "field.deal.forgotten", "field.deal.declared")
    desired = {"field.deal.kept", "field.deal.declared"}
    accepted = {"field.deal.forgotten": "field.deal.forgotten"}
    m = managed.membership(record, store, desired, desired, live, accepted)
    assert m.adopt == ("field.deal.declared",) and m.forget == ("field.deal.forgotten",)
    assert m.vanished == ("field.deal.gone",) and m.serial == 3 and m.pending
    assert managed.retiring(record, desired, accepted) == {"field.deal.dropped", "field.deal.gone"}


def test_a_kind_the_fetch_did_not_read_proves_nothing_gone() -> None:
    record = _record(field__deal__x="created")
    m = managed.membership(record, WorkspaceStore(Path("/n"), "x/"), set(), set(), _snapshot(kinds=("stage",)), {})
    assert m.vanished == ()


def test_after_apply_records_creates_adoptions_and_forgets_deletes() -> None:
    record = _record(field__deal__old="adopted", field__deal__deleted="created", field__deal__forgotten="created")
    member = managed.Membership("x", True, 3, adopt=("field.deal.existing",), forget=("field.deal.forgotten",))
    applied = [("field.deal.new", "field", "create"), ("field.deal.deleted", "field", "delete"),
               ("field.deal.failed_elsewhere", "field", "update"), ("automation.bound", "automation", "update")]
    owned = {"field.deal.old": "field", "field.deal.new": "field", "field.deal.existing": "field",
             "field.deal.failed_elsewhere": "field"}
    new = managed.after_apply(record, member, applied=applied, owned=owned, digest="d", when="now", who="me")
    assert {a: e.how for a, e in new.entries.items()} == {
        "field.deal.old": "adopted", "field.deal.new": "created", "field.deal.existing": "adopted",
        "field.deal.failed_elsewhere": "adopted"}  # a bound automation is never owned
    assert (new.serial, new.lineage, new.spec_digest, new.applied_by) == (4, "abc", "d", "me")
    assert managed.load(managed.dump(new), "t", "here") == new


def test_a_record_that_cannot_be_read_is_a_plain_error() -> None:
    with pytest.raises(UsageError, match="the managed record in the org file cannot be read"):
        managed.load(b"{not json", "t", "the org file")
    with pytest.raises(UsageError, match="format 9"):
        managed.load(json.dumps({"format": 9}).encode(), "t", "x")
    assert managed.load(None, "t", "x").serial == 0


def test_workspace_store(tmp_path: Path) -> None:
    store = WorkspaceStore(tmp_path / "state" / "t", "state/t/")
    assert store.read("managed") is None and not store.shared
    assert store.create("lock", b"1") is True and store.create("lock", b"2") is False
    store.write("managed", b"x")
    store.write("managed", b"y")
    assert store.read("managed") == b"y" and store.read("lock") == b"1"
    store.delete("lock")
    store.delete("lock")
    assert store.read("lock") is None
    assert "on this machine only" in store.location
    with pytest.raises(ValueError):
        check_key("../escape")
