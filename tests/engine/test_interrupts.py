"""kill -9, Ctrl-C and SIGTERM at seeded points of a large local apply: the journal stays the truth.

Each case runs `crmconf apply` in a child process that signals itself right after its N-th fsync (a
journal line, the org's temp file, the org's folder: every point where a crash can land), N drawn by a
seeded generator over the whole run; the timed cases kill from outside after a seeded delay instead.
Afterwards:
- every file parses (the journal has no torn line, the org file is whole; the org is that file with the
  batches its log committed, as crmconf_local.org reads it);
- after recovery (the next `crmconf plan`), the journal says applied exactly for the planned changes the
  org shows applied, and every planned change has one outcome;
- a follow-up apply converges: the plan after it is empty.

`make test` runs a few points on a few hundred changes; `make fuzz` runs many on thousands
(CRMCONF_INTERRUPT_POINTS, CRMCONF_INTERRUPT_FIELDS, CRMCONF_INTERRUPT_SEED).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from crmconf_local import org as org_store

from bench.workspace_gen import generate
from crmconf.engine import journal
from tests.conftest import CLI, TODAY

REPO = Path(__file__).resolve().parents[2]
SEED = int(os.environ.get("CRMCONF_INTERRUPT_SEED", "14"))
POINTS = int(os.environ.get("CRMCONF_INTERRUPT_POINTS", "4"))
FIELDS = int(os.environ.get("CRMCONF_INTERRUPT_FIELDS", "250"))
BATCH = 40  # small batches: many writes, so many places to be cut


@dataclass(frozen=True)
class Template:
    root: Path
    planned: dict[str, dict[str, Any]]  # address -> desired attrs (every change is a create)
    fsyncs: int
    seconds: float


def _env() -> dict[str, str]:
    return {**os.environ, "CRMCONF_TODAY": TODAY, "NO_COLOR": "1"}


def _apply(root: Path, at: int, sig: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.engine.interrupt_harness", str(at), sig, "apply", "-w", str(root),
         "--auto-approve"],
        cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    base = tmp_path_factory.mktemp("interrupts")
    root = generate(base / "ws", fields=FIELDS, pipelines=max(2, FIELDS // 60), automations=max(5, FIELDS // 12),
                    permissions=3)
    config = root / "crmconf.yaml"
    config.write_text(config.read_text().replace(
        "local: {provider: local}", f"local: {{provider: local, settings: {{batch_size: {BATCH}}}}}"))
    planned = subprocess.run([sys.executable, "-m", "tests.engine.interrupt_harness", "0", "SIGKILL", "plan", str(root), "--format",
                              "json"],
                             cwd=REPO, env=_env(), capture_output=True, text=True, check=True)
    changes = {c["address"]: c["after"] for c in json.loads(planned.stdout)["changes"]}
    assert len(changes) > 5 * BATCH
    trial = base / "trial"
    shutil.copytree(root, trial)
    started = time.monotonic()
    run = _apply(trial, 0, "SIGKILL")
    _, err = run.communicate(timeout=300)
    assert run.returncode == 0, err[-2000:]
    fsyncs = int(err.strip().rsplit("fsyncs: ", 1)[1])
    return Template(root, changes, fsyncs, time.monotonic() - started)


def _points(sig: str, count: int) -> list[int]:
    rng = random.Random(f"{SEED}-{sig}")
    return [rng.randint(1, 10_000) for _ in range(count)]  # scaled onto the run's fsyncs below


CASES = [
    *((sig, i) for sig in ("SIGKILL",) for i in range(POINTS * 2)),
    *((sig, i) for sig in ("SIGINT",) for i in range(POINTS)),
    *((sig, i) for sig in ("SIGTERM",) for i in range(max(1, POINTS // 2))),
]


@pytest.mark.parametrize(("sig", "index"), CASES, ids=[f"{s}-{i}" for s, i in CASES])
def test_interrupted_at_a_write(cli: CLI, template: Template, tmp_path: Path, sig: str, index: int) -> None:
    at = 1 + _points(sig, index + 1)[index] % template.fsyncs
    root = tmp_path / "ws"
    shutil.copytree(template.root, root)
    run = _apply(root, at, sig)
    _, err = run.communicate(timeout=300)
    if sig == "SIGKILL":
        assert run.returncode == -signal.SIGKILL
    elif run.returncode == 130 and "Interrupted (" in err:  # stopped between batches: where things stand
        assert f"Interrupted ({sig})" in err and "Applied (" in err and "Not applied (" in err
        assert "To continue: `crmconf plan`" in err
    elif run.returncode == 130:  # outside the apply loop (taking the lock, writing the record): unwound
        assert "interrupted; if an apply was running" in err
    else:  # the signal came with the last write: the run had finished
        assert run.returncode == 0, err[-2000:]
    if sig != "SIGKILL":  # every way out but kill -9 releases the apply lock
        assert _lock_left(root) is None
    _check_truth(cli, root, template)


@pytest.mark.parametrize("index", range(max(2, POINTS // 2)))
def test_killed_after_a_seeded_delay(cli: CLI, template: Template, tmp_path: Path, index: int) -> None:
    """kill -9 from outside, at a time no write was chosen for (the run may also be between writes)."""
    delay = random.Random(f"{SEED}-timed-{index}").uniform(0.2, 1.0) * template.seconds
    root = tmp_path / "ws"
    shutil.copytree(template.root, root)
    run = _apply(root, 0, "SIGKILL")
    try:
        run.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        run.kill()
    run.communicate(timeout=300)
    _check_truth(cli, root, template)


def _lock_left(root: Path) -> str | None:
    """The id of the apply lock a run left in the local org (kept in the org file, under `state`)."""
    path = root / ".crmconf" / "local-org.json"
    left = json.loads(path.read_text()).get("state", {}).get("lock") if path.exists() else None
    return json.loads(left)["id"] if left else None


def _unlock_what_kill_left(cli: CLI, root: Path) -> None:
    """kill -9 leaves the apply lock behind: the next apply is refused naming it, a person removes it."""
    left = _lock_left(root)
    if left is None:  # killed before the lock was taken, or after it was released
        return
    refused = cli("apply", "-w", root, "--auto-approve")
    assert refused.code == 1 and "error E402" in refused.err and f"lock {left}, held by" in refused.err
    assert "no longer runs on this host" in refused.err and f"crmconf unlock {left}" in refused.err
    assert cli("unlock", left, "-w", root).code == 1  # no terminal to confirm: it stays without --force
    assert cli("unlock", left, "-w", root, "--force").code == 0 and _lock_left(root) is None


def _check_truth(cli: CLI, root: Path, template: Template) -> None:
    state = root / ".crmconf"
    _unlock_what_kill_left(cli, root)
    records, bad = journal.read_checked(state / "journal.jsonl")
    assert bad == [], f"torn journal lines {bad}"
    org_path = state / "local-org.json"
    org = _org(org_path)

    planned = cli("plan", "-w", root, "--format", "json")  # recovery happens here, before planning
    assert planned.code == 0, planned.err
    codes = {d["code"] for d in json.loads(planned.out)["diagnostics"]}
    assert not codes & {"J002", "J003", "J004", "J005"}, codes

    records, bad = journal.read_checked(state / "journal.jsonl")
    assert bad == []
    runs = [r for r in records if r["event"] == "begin"]
    if not runs:  # cut before the run began: nothing may have been applied either
        assert not set(org["objects"]) & set(template.planned)
    else:
        [begin] = runs
        lines = [r for r in records if r["event"] == "change" and r["run"] == begin["run"]]
        outcome = {r["address"]: r["outcome"] for r in lines}
        assert len(lines) == len(outcome) == begin["changes"] == len(template.planned), Counter(
            r["outcome"] for r in lines)
        ends = [r for r in records if r["event"] == "end" and r["run"] == begin["run"]]
        assert len(ends) == 1 and {k: v for k, v in ends[0]["counts"].items() if v} == dict(Counter(outcome.values()))
        org = _org(org_path)
        shows = {a for a, after in template.planned.items() if _shows(org, a, after)}
        journaled = {a for a, o in outcome.items() if o == "applied"}
        assert journaled == shows, (sorted(journaled - shows)[:5], sorted(shows - journaled)[:5])

    assert cli("apply", "-w", root, "--auto-approve").code == 0
    assert cli("plan", "-w", root, "--detailed-exitcode").code == 0


def _org(path: Path) -> dict[str, Any]:
    """The org: the file is whole JSON (or was never written), and its log adds the batches it committed."""
    if not path.exists():
        return {"objects": {}}
    json.loads(path.read_text())
    return org_store.load(path)


def _shows(org: dict[str, Any], address: str, after: dict[str, Any]) -> bool:
    obj = org["objects"].get(address)
    return obj is not None and all(obj["attrs"].get(k) == v for k, v in after.items())
