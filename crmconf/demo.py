"""`make demo`: a newcomer's first five minutes on the embedded local provider, with no account.

Copies specs/ to .demo/specs (so the demo never edits the example) and seeds its local org from
demo/seed-org.json (an org that drifted from the spec), then runs validate, a plan saved to a file, the
saved plan refused without --allow-destroy and then applied (each plan is shown once), a plan that still
has manual steps open, the people's part (`crmconf done`, a permission set made by hand that crmconf then
reads back), accepting an unmanaged automation, a clean drift check and the audit.

The demo runs on its own clock, DEMO_DATE: the example's review dates were made as of that day, so the
demo (and `validate --strict` with CRMCONF_TODAY set to it) says the same on any real date. A
CRMCONF_TODAY already set wins.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from crmconf.cli import run

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ".demo"
DEMO_DATE = date(2026, 11, 23)  # the example's clock (README, "A five-minute tour")
# When demo/seed-org.json was recorded: health measures the seed org as of then, so the story (and its
# stale deals and weekly activity) does not drift with the calendar.
DEMO_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STAGE_STEPS = [
    f"pipeline.{p}:stage-requirements" for p in ("new_business", "renewals", "support", "lifecycle")
]
Step = tuple[str, list[str] | Callable[[Path], None], set[int]]


def _admin_creates_permission_set(root: Path) -> None:
    """What an admin does in the CRM's own screens: crmconf only reads the result back."""
    from crmconf.engine.native import compile_spec
    from crmconf.validation import require_valid

    ws = require_valid(root / "specs", DEMO_DATE)
    wanted = next(r for r in compile_spec(ws.spec, ws.sources) if r.address == "permission.customer_success")
    org_path = root / "specs" / ".crmconf" / "local-org.json"
    org = json.loads(org_path.read_text(encoding="utf-8"))
    org["objects"][wanted.address] = {
        "kind": "permission",
        "attrs": dict(wanted.attrs),
        "parent": None,
        "label": wanted.label,
        "version": 1,
        "updated_by": "lena.fischer@acme.example",
    }
    org_path.write_text(json.dumps(org), encoding="utf-8")
    print("(an admin set up the Customer Success permission set in the CRM's own screens)")


STEPS: list[Step] = [
    ("Validate the workspace", ["validate", "-w", "specs"], {0}),
    (
        "Plan: what differs between the spec and the (drifted) org, saved for the apply",
        ["plan", "-w", "specs", "--out", "plan.json"],
        {0},
    ),
    ("Apply that plan without --allow-destroy: refused, nothing changes", ["apply", "plan.json"], {1}),
    (
        "Apply it, allowing the stage removal (its deals move per migrate_to)",
        ["apply", "plan.json", "--allow-destroy"],
        {0},
    ),
    (
        "Plan again: nothing to change, but manual steps are open, so the CRM does not match the spec yet",
        ["plan", "-w", "specs", "--detailed-exitcode"],
        {0},
    ),
    ("People do the manual steps: a permission set made by hand", _admin_creates_permission_set, {0}),
    (
        "... and the stage requirements, which crmconf cannot read, recorded in the workspace (git keeps it)",
        ["done", "-w", "specs", *STAGE_STEPS, "--by", "maria.lopez@acme.example"],
        {0},
    ),
    ("Drift: an automation made by hand is still unmanaged", ["drift", "-w", "specs"], {2}),
    (
        "Accept it: the workspace knowingly leaves it alone (it is never deleted either way)",
        ["accept", "-w", "specs", "automation.legacy_opp_scoring", "--reason", "Marketing's; retired in Q1"],
        {0},
    ),
    ("Drift again: none", ["drift", "-w", "specs"], {0}),
    ("The quarterly automation audit against the org", ["audit", "-w", "specs"], {0, 3}),
    (
        "Health, as a page for the RevOps lead: trends drawn from the runs kept in health/local.jsonl",
        ["health", "-w", "specs", "--format", "html", "--out", "specs/health.html", "--no-history", "--fail-on", "never"],
        {0},
    ),
    (
        "Health: does the rollout work? Each KPI from the spec, counted on the org's records (exit 5: escalated)",
        ["health", "-w", "specs"],
        {0, 5},
    ),
]


def prepare(root: Path) -> Path:
    scratch = root / SCRATCH
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(root / "specs", scratch / "specs", ignore=shutil.ignore_patterns(".crmconf"))
    state = scratch / "specs" / ".crmconf"
    state.mkdir()
    shutil.copyfile(root / "demo" / "seed-org.json", state / "local-org.json")
    kept = scratch / "specs" / "health"
    kept.mkdir()
    shutil.copyfile(root / "demo" / "health-history.jsonl", kept / "local.jsonl")  # what the nightly job kept
    return scratch


def main(root: Path = ROOT) -> int:
    clocks = {"CRMCONF_TODAY": DEMO_DATE.isoformat(), "CRMCONF_NOW": DEMO_NOW.isoformat()}
    pinned = [name for name in clocks if name not in os.environ]  # a clock already set wins
    os.environ.update({name: clocks[name] for name in pinned})
    try:
        return _tour(root)
    finally:
        for name in pinned:
            del os.environ[name]


def _tour(root: Path) -> int:
    scratch = prepare(root)
    os.chdir(scratch)
    print(f"The demo's clock: {os.environ['CRMCONF_TODAY']} (the example's reviews are as of {DEMO_DATE})")
    print(f"Copied specs/ to {SCRATCH}/specs and seeded its local org from demo/seed-org.json\n", flush=True)
    for title, action, expected in STEPS:
        if callable(action):
            print(f"\n=== {title}", flush=True)
            action(scratch)
            continue
        print(f"\n=== {title}\n$ crmconf {' '.join(action)}", flush=True)
        code = run(action)
        sys.stdout.flush()
        sys.stderr.flush()
        if code not in expected:
            print(
                f"\ndemo: `crmconf {' '.join(action)}` exited {code}, expected {sorted(expected)}",
                file=sys.stderr,
            )
            return 1
    print(f"\nThe health page is {SCRATCH}/specs/health.html; the runs are kept in {SCRATCH}/specs/health/local.jsonl.")
    print(f"\nDone. The journal of what was applied is in {SCRATCH}/specs/.crmconf/journal.jsonl.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
