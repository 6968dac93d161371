"""The apply lock through the CLI on the local provider: a second apply is refused naming the holder,
every way out of an apply releases the lock, `crmconf unlock` removes what a dead run left, and `plan`
settles a cut-short apply only under the lock."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from crmconf_local import LocalProvider

from crmconf.engine import lock
from crmconf.engine.journal import Journal
from crmconf.providers import ProviderContext
from tests.conftest import CLI

UNLOCK = "crmconf unlock {id}"


def org_of(root: Path) -> dict[str, Any]:
    path = root / ".crmconf" / "local-org.json"
    return json.loads(path.read_text()) if path.exists() else {"objects": {}, "state": {}}


def lock_left(root: Path) -> dict[str, Any] | None:
    raw = org_of(root).get("state", {}).get("lock")
    return json.loads(raw) if raw else None


def hold(root: Path, run: str = "their-run") -> lock.Held:
    """Another run's lock on the workspace's local org, taken as `crmconf apply` takes it."""
    store = LocalProvider(ProviderContext("local", {}, root.resolve())).state_store()
    return lock.acquire(store, "local", operation="apply", run=run, unlock=UNLOCK)


def test_a_second_apply_is_refused_naming_the_holder_and_changes_nothing(cli: CLI, workspace: Path) -> None:
    theirs = hold(workspace)
    ran = cli("apply", "-w", workspace, "--auto-approve")
    assert ran.code == 1 and "error E402: target local is locked by another crmconf run" in ran.err
    info = theirs.info
    for part in (f"lock {info.id}, held by {info.user} on {info.host} (pid {info.pid}, run their-run",
                 "kept in the local org file .crmconf/local-org.json (its `state.lock`)",
                 f"`crmconf unlock {info.id} -w {workspace} -t local`"):
        assert part in ran.err, part
    assert org_of(workspace)["objects"] == {} and not (workspace / ".crmconf" / "journal.jsonl").exists()
    assert cli("plan", "-w", workspace, "--detailed-exitcode").code == 2  # plans read without the lock
    theirs.release()
    assert cli("apply", "-w", workspace, "--auto-approve").code == 0 and lock_left(workspace) is None


def _write_org(root: Path, org: dict[str, Any]) -> None:
    (root / ".crmconf" / "local-org.json").write_text(json.dumps(org))


def _destroy_refused(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    org = org_of(root)
    org["records"] = {"deal": [{"id": "d1", "pipeline": "new_business", "stage": "proposal"}]}
    _write_org(root, org)
    text = (root / "pipelines.yaml").read_text().replace(
        "      - {name: proposal, label: Proposal Sent, probability: 60, require: [amount, close_date]}\n", "")
    (root / "pipelines.yaml").write_text(text.replace("owners: [sales]", "owners: [sales]\n    migrate_to: {proposal: discovery}"))
    (root / "automations.yaml").unlink()


def _plan_error(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    org = org_of(root)
    org["users"] = [{"email": "owner@example.com", "active": False}]  # the automation's owner left
    _write_org(root, org)


def _change_fails(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (root / "fields.yaml").write_text((root / "fields.yaml").read_text() + "    - {name: note, label: Note, type: text}\n")
    monkeypatch.setenv("CRMCONF_LOCAL_FAULTS", "field.deal.note")


def _label_changed(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (root / "pipelines.yaml").write_text((root / "pipelines.yaml").read_text().replace("label: Discovery",
                                                                                       "label: First call"))


WAYS_OUT: dict[str, tuple[Callable[[Path, pytest.MonkeyPatch], None], tuple[str, ...], int, str]] = {
    "destroy refused": (_destroy_refused, ("--auto-approve",), 1, "error E401"),
    "plan has errors": (_plan_error, ("--auto-approve",), 1, "the plan has errors"),
    "no terminal to approve": (_label_changed, (), 1, "no terminal to ask for approval"),
    "a change fails": (_change_fails, ("--auto-approve",), 1, "FAILED  create field.deal.note"),
    "nothing to apply": (lambda root, mp: None, ("--auto-approve",), 0, "nothing to apply"),
    "applied": (_label_changed, ("--auto-approve",), 0, "Apply: 1 applied."),
}


@pytest.mark.parametrize("way", list(WAYS_OUT))
def test_every_way_out_of_an_apply_releases_the_lock(cli: CLI, workspace: Path, monkeypatch: pytest.MonkeyPatch,
                                                     way: str) -> None:
    assert cli("apply", "-w", workspace, "--auto-approve").code == 0
    prepare, flags, code, said = WAYS_OUT[way]
    prepare(workspace, monkeypatch)
    ran = cli("apply", "-w", workspace, *flags)
    assert ran.code == code and said in ran.err, ran.err
    assert lock_left(workspace) is None and "lock" not in org_of(workspace)["state"]


def test_unlock_removes_only_the_named_lock_and_only_when_asked(cli: CLI, workspace: Path) -> None:
    assert cli("unlock", "whatever", "-w", workspace).err.startswith("error E001: target local is not locked")
    theirs = hold(workspace)
    wrong = cli("unlock", "not-it", "-w", workspace, "--force")
    assert wrong.code == 1 and f"is {theirs.info.id}, not not-it" in wrong.err and lock_left(workspace)
    asked = cli("unlock", theirs.info.id, "-w", workspace)
    assert asked.code == 1 and "no terminal to confirm" in asked.err and lock_left(workspace)
    assert "warning: this lock is not stale: its run may still be changing the CRM" in asked.err
    done = cli("force-unlock", theirs.info.id, "-w", workspace, "--force")
    assert done.code == 0 and f"removed lock {theirs.info.id}: target local is unlocked" in done.err
    assert lock_left(workspace) is None


def test_a_stale_lock_is_reported_as_stale_and_still_not_taken(cli: CLI, workspace: Path) -> None:
    theirs = hold(workspace)
    left = lock_left(workspace)
    assert left is not None
    old = (theirs.info.renewed - lock.LEASE - timedelta(hours=1)).isoformat()
    left.update(created=old, renewed=old)
    org = org_of(workspace)
    org["state"]["lock"] = json.dumps(left)
    (workspace / ".crmconf" / "local-org.json").write_text(json.dumps(org))
    ran = cli("apply", "-w", workspace, "--auto-approve")
    assert ran.code == 1 and "The lock looks stale (it has not been renewed for 75 min" in ran.err
    assert lock_left(workspace) == left


def test_plan_settles_a_cut_short_apply_only_under_the_lock(cli: CLI, workspace: Path) -> None:
    journal = Journal(workspace / ".crmconf" / "journal.jsonl", root=workspace)
    with journal:
        journal.begin(target="local", provider="local", plan_digest="x", changes=1, planned=["field.deal.amount"])
        journal.intent([{"address": "field.deal.amount", "kind": "field", "action": "create", "after": {"type": "currency"}}])
    theirs = hold(workspace)
    busy = json.loads(cli("plan", "-w", workspace, "--format", "json").out)
    [j003] = [d for d in busy["diagnostics"] if d["code"] == "J003"]
    assert f"target local is locked by another crmconf run: lock {theirs.info.id}" in j003["message"]
    assert not any(r.get("event") == "end" for r in map(json.loads, journal.path.read_text().splitlines()))
    theirs.release()
    settled = json.loads(cli("plan", "-w", workspace, "--format", "json").out)
    assert [d["code"] for d in settled["diagnostics"] if d["code"].startswith("J")] == ["J001"]
    assert lock_left(workspace) is None  # the settling lock was released too


def test_an_apply_whose_lock_is_removed_stops_between_batches(cli: CLI, workspace: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    config = workspace / "crmconf.yaml"
    config.write_text(config.read_text().replace("local: {provider: local}",
                                                 "local: {provider: local, settings: {batch_size: 1}}"))
    monkeypatch.setattr(lock, "RENEW_EVERY", timedelta(0))  # renew between every two batches
    original = LocalProvider.apply_batch
    calls: list[int] = []

    def apply_then_unlock(self: LocalProvider, changes: list[Any]) -> Any:
        calls.append(1)
        if len(calls) == 2:  # someone runs `crmconf unlock` while this apply runs
            lock.remove(self.state_store(), "local", json.loads(self._org["state"]["lock"])["id"])  # type: ignore[index]
        return original(self, changes)

    monkeypatch.setattr(LocalProvider, "apply_batch", apply_then_unlock)
    ran = cli("apply", "-w", workspace, "--auto-approve")
    assert ran.code == 130 and "was removed while this run held it (`crmconf unlock`)" in ran.err
    assert "Applied (2)" in ran.err and "warning: the apply lock" in ran.err and "was already removed" in ran.err
    records = [json.loads(line) for line in (workspace / ".crmconf" / "journal.jsonl").read_text().splitlines()]
    assert records[-1]["event"] == "end" and "was removed" in records[-1]["interrupted"]
