"""The write-ahead journal: a full disk, a torn line, a second apply, and settling a run cut short."""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from crmconf.engine import recovery
from crmconf.engine.journal import Journal, JournalWriteError, read, read_checked
from crmconf.engine.resource import LiveObject, Snapshot
from crmconf.errors import LockedError
from tests.conftest import CLI, TODAY
from tests.engine.test_interrupts import REPO, Template, _check_truth, template  # noqa: F401 (a fixture)


def _journal(tmp_path: Path, **kw: object) -> Journal:
    return Journal(tmp_path / ".crmconf" / "journal.jsonl", root=tmp_path, **kw)  # type: ignore[arg-type]


def _full_after(budget: int) -> object:
    """os.write on a disk with `budget` bytes left: a short write, then ENOSPC."""
    left = [budget]

    def write(fd: int, data: bytes | memoryview) -> int:
        if left[0] <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = os.write(fd, bytes(data[: left[0]]))
        left[0] -= n
        return n

    return write


@pytest.mark.parametrize("budget", [0, 1, 17, 90])
def test_a_full_disk_is_a_plain_error_and_leaves_no_half_line(tmp_path: Path, budget: int) -> None:
    path = tmp_path / ".crmconf" / "journal.jsonl"
    with _journal(tmp_path) as first:
        first.begin(target="local", provider="local", plan_digest="d", changes=1, planned=["term.deal"])
    before = path.read_bytes()
    with _journal(tmp_path, run_id=first.run_id, writer=_full_after(budget)) as full, pytest.raises(
        JournalWriteError, match="the disk is full"
    ):
        full.intent([{"address": "term.deal", "kind": "term", "action": "create", "after": {"x": "y" * 200}}])
    assert path.read_bytes() == before  # truncated back: the file parses as it did
    assert read_checked(path) == (read(path), [])


def test_a_line_torn_by_power_loss_is_skipped_and_the_next_starts_afresh(tmp_path: Path) -> None:
    path = tmp_path / ".crmconf" / "journal.jsonl"
    with _journal(tmp_path) as j:
        j.begin(target="local", provider="local", plan_digest="d", changes=0)
    with path.open("a") as f:
        f.write('{"event": "change", "addr')  # what a crash mid-write leaves
    with _journal(tmp_path, run_id=j.run_id) as again:
        again.end({}, verified=True)
    records, bad = read_checked(path)
    assert [r["event"] for r in records] == ["begin", "end"] and bad == [2]
    seen = recovery.recover(tmp_path, path, "local", lambda kinds: pytest.fail("nothing is in doubt"))
    assert seen.unreadable == (2,) and [d.code for d in recovery.notes(seen)] == ["J005"]


def test_one_apply_at_a_time_per_workspace_and_the_holder_is_named(tmp_path: Path) -> None:
    with _journal(tmp_path) as holder:
        holder.begin(target="local", provider="local", plan_digest="d", changes=0)
        with pytest.raises(LockedError, match=rf"run {holder.run_id} by .*\(pid {os.getpid()}\)"):
            _journal(tmp_path).open()
    _journal(tmp_path).open().close()  # released with the first


def test_a_journal_linked_outside_the_workspace_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me\n")
    ws = tmp_path / "ws"
    (ws / ".crmconf").mkdir(parents=True)
    (ws / ".crmconf" / "journal.jsonl").symlink_to(outside)
    with pytest.raises(Exception, match="leads outside the workspace"):
        Journal(ws / ".crmconf" / "journal.jsonl", root=ws).open()
    assert outside.read_text() == "keep me\n"


CREATE = {"address": "field.deal.seats", "kind": "field", "action": "create", "after": {"label": "Seats"}}
DELETE = {"address": "field.deal.old", "kind": "field", "action": "delete", "after": None}


@pytest.mark.parametrize(
    ("change", "live", "expected"),
    [
        (CREATE, {"field.deal.seats": {"label": "Seats", "extra": 1}}, "applied"),
        (CREATE, {"field.deal.seats": {"label": "Old"}}, "not-applied"),
        (CREATE, {}, "not-applied"),
        (DELETE, {}, "applied"),
        (DELETE, {"field.deal.old": {"label": "Old"}}, "not-applied"),
    ],
    ids=["create landed", "create not yet (other label)", "create absent", "delete landed", "delete not yet"],
)
def test_settle_decides_from_the_live_object(change: dict, live: dict, expected: str) -> None:
    snapshot = Snapshot({a: LiveObject(a, "field", attrs) for a, attrs in live.items()}, frozenset({"field"}))
    assert recovery.settle(change, snapshot) == expected


def test_recovery_settles_only_its_target_and_closes_the_run(tmp_path: Path) -> None:
    path = tmp_path / ".crmconf" / "journal.jsonl"
    with _journal(tmp_path) as j:
        j.begin(target="local", provider="local", plan_digest="d", changes=3,
                planned=[CREATE["address"], DELETE["address"], "term.deal"])
        j.intent([CREATE, DELETE])
    with _journal(tmp_path) as other:
        other.begin(target="prod", provider="hubspot", plan_digest="e", changes=1, planned=["x"])
    live = Snapshot({CREATE["address"]: LiveObject(CREATE["address"], "field", {"label": "Seats"}),
                     DELETE["address"]: LiveObject(DELETE["address"], "field", {"label": "Old"})}, frozenset({"field"}))
    asked: list[frozenset[str]] = []
    outcome = recovery.recover(tmp_path, path, "local", lambda kinds: asked.append(kinds) or live)  # type: ignore[func-returns-value]
    assert asked == [frozenset({"field"})]
    [done] = outcome.recovered
    assert dict(done.settled) == {CREATE["address"]: "applied", DELETE["address"]: "not-applied"}
    assert [u.target for u in outcome.elsewhere] == ["prod"]
    assert [d.code for d in recovery.notes(outcome)] == ["J001", "J002"]
    closed = [r for r in read(path) if r["run"] == j.run_id]
    assert closed[-1]["event"] == "end" and closed[-1]["recovered"] is True
    assert closed[-1]["counts"] == {"applied": 1, "not-applied": 1, "not-attempted": 1}
    assert recovery.unfinished(read(path))[0].target == "prod"  # only the other target is left open


def test_recovery_waits_for_a_running_apply(tmp_path: Path) -> None:
    path = tmp_path / ".crmconf" / "journal.jsonl"
    with _journal(tmp_path) as running:
        running.begin(target="local", provider="local", plan_digest="d", changes=1, planned=["a"])
        outcome = recovery.recover(tmp_path, path, "local", lambda kinds: pytest.fail("read while running"))
    assert outcome.busy and not outcome.recovered


def _limit_file_size(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.parametrize("share", [0.15, 0.5, 0.85])
def test_the_disk_fills_during_an_apply(cli: CLI, template: Template, tmp_path: Path, share: float) -> None:  # noqa: F811
    """A real size limit (RLIMIT_FSIZE) the journal reaches mid-apply, while the org still fits."""
    root = tmp_path / "ws"
    shutil.copytree(template.root, root)
    trial = tmp_path / "trial"
    shutil.copytree(template.root, trial)
    assert cli("apply", "-w", trial, "--auto-approve").code == 0
    journal_size = (trial / ".crmconf" / "journal.jsonl").stat().st_size
    org_size = (trial / ".crmconf" / "local-org.json").stat().st_size
    assert journal_size > org_size * 1.2
    limit = int(org_size * 1.1 + share * (journal_size - org_size * 1.1))
    run = subprocess.run(
        [sys.executable, "-m", "tests.engine.interrupt_harness", "0", "SIGKILL", "apply", "-w", str(root),
         "--auto-approve"],
        cwd=REPO, env={**os.environ, "CRMCONF_TODAY": TODAY, "NO_COLOR": "1"}, capture_output=True, text=True,
        preexec_fn=lambda: _limit_file_size(limit), timeout=300,
    )
    assert run.returncode == 1, run.stderr[-3000:]
    assert "error E403: cannot write the journal" in run.stderr and "the disk is full" in run.stderr
    assert "The apply stopped" in run.stderr and "Traceback" not in run.stderr
    assert (root / ".crmconf" / "journal.jsonl").stat().st_size <= limit
    _check_truth(cli, root, template)  # with room again: recovery, journal == org, convergence


def test_journal_lines_hold_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from crmconf import redact

    redact.forget()
    redact.register("pat-na1-11112222-3333-4444-5555-666677778888")
    try:
        with _journal(tmp_path) as j:
            j.change("a", "create", "failed", 'HTTP 401: token "pat-na1-11112222-3333-4444-5555-666677778888"')
    finally:
        redact.forget()
    text = (tmp_path / ".crmconf" / "journal.jsonl").read_text()
    assert "pat-na1" not in text and json.loads(text)["detail"] == 'HTTP 401: token "***"'


def test_a_refused_apply_journals_nothing(cli: CLI, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Locked out, destroy refused, not approved: no begin without an end, in fact no line at all."""
    from crmconf_local import org, state

    monkeypatch.setattr(state, "LOCK_WAIT", 0.2)  # how long a state write waits is not what is tested

    path = workspace / ".crmconf" / "journal.jsonl"
    with org.locked(workspace / ".crmconf" / "local-org.json"):
        locked = cli("apply", "-w", workspace, "--auto-approve")
    assert locked.code == 1 and "error E402" in locked.err
    assert cli("apply", "-w", workspace).code == 1  # no terminal to approve on
    assert not path.exists() or read(path) == []
    assert cli("apply", "-w", workspace, "--auto-approve").code == 0
    pipelines = workspace / "pipelines.yaml"
    pipelines.write_text("\n".join(line for line in pipelines.read_text().splitlines() if "name: proposal" not in line))
    (workspace / "automations.yaml").unlink()  # it triggers on the removed stage
    before = read(path)
    refused = cli("apply", "-w", workspace, "--auto-approve")
    assert refused.code == 1 and "error E401" in refused.err
    assert read(path) == before and not recovery.unfinished(before)
