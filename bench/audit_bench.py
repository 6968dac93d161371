"""`crmconf audit --offline` on 1,000 automations, in-process (median of the runs). The goal is under 1 s."""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.measure import REPEAT, progress
from bench.report import Table, met, seconds
from bench.workspace_gen import CONFIG
from crmconf.cli import run as crmconf

AUTOMATIONS = 1_000
GOAL_S = 1.0
AS_OF = date(2026, 11, 23)


PIPELINE = """\
pipelines:
  - name: new_business
    object: deal
    label: New Business
    stages:
      - {name: discovery, label: Discovery, probability: 10}
      - {name: proposal, label: Proposal Sent, probability: 60}
      - {name: closed_won, label: Closed Won, probability: 100, outcome: won}
      - {name: closed_lost, label: Closed Lost, probability: 0, outcome: lost}
"""


def automations_yaml(count: int, today: date) -> str:
    """A realistic mix: compiled and bound, recent and overdue reviews, a few never reviewed."""
    lines = ["automations:\n"]
    for i in range(count):
        # Reviews spread over the last 200 days (never after today: validation refuses future dates).
        reviewed = today - timedelta(days=i % 200)
        lines.append(f"  - name: a_{i}\n")
        if i % 10 == 9:
            lines.append(f'    binds: {{local: Vendor_Flow_{i}, hubspot: "{100000 + i}"}}\n')
        else:
            lines.append(
                "    object: deal\n    trigger: {stage_entered: new_business.proposal}\n"
                f"    actions: [{{create_task: {{subject: Follow up {i}, due_in: 3d}}}}]\n"
            )
        lines.append(
            f"    owner: owner{i % 17}@acme.example\n    team: sales\n"
            f"    purpose: Purpose of automation {i}\n"
        )
        if i % 50 != 0:
            lines.append(f"    reviewed: {reviewed.isoformat()}\n")
    return "".join(lines)


def teams_yaml() -> str:
    """The team every automation names, its owners as members (a team must be declared: G601)."""
    members = "".join(f"      - {{email: owner{i}@acme.example}}\n" for i in range(17))
    return f"teams:\n  - name: sales\n    members:\n{members}"


def workspace(root: Path, count: int = AUTOMATIONS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "crmconf.yaml").write_text(CONFIG)
    (root / "pipelines.yaml").write_text(PIPELINE)
    (root / "teams.yaml").write_text(teams_yaml())
    # Reviews relative to the audit's date, so the mix of due and overdue is the same on any day.
    (root / "automations.yaml").write_text(automations_yaml(count, AS_OF))
    return root


def _time_audit(root: Path) -> float:
    sink = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(io.StringIO()):
        code = crmconf(["audit", str(root), "--offline", "--as-of", AS_OF.isoformat(), "--format", "text"])
    elapsed = time.perf_counter() - start
    assert code in (0, 3), f"audit exited {code}"
    assert sink.getvalue().count("\n") > AUTOMATIONS, "the audit did not list every automation"
    return elapsed


def run() -> Table:
    os.environ.pop("CRMCONF_TODAY", None)  # the generated reviews are relative to the real today
    progress(f"audit: --offline, {AUTOMATIONS:,} automations")
    with tempfile.TemporaryDirectory(prefix="crmconf-audit-bench-") as tmp:
        root = workspace(Path(tmp) / "ws")
        _time_audit(root)  # warm-up: imports and first-call caches are not what is measured
        times = [_time_audit(root) for _ in range(REPEAT)]
    median = statistics.median(times)
    table = Table("Audit", ["benchmark", f"wall time (median of {len(times)})", "goal", "met"])
    table.add(f"`audit --offline`, {AUTOMATIONS:,} automations", seconds(median), f"< {GOAL_S:g} s",
              met(median < GOAL_S))
    table.notes = [
        "In-process, after one warm-up run (imports excluded): load, validate, and audit every automation",
        "(10% bound to vendor objects, 2% never reviewed), rendered as text.",
    ]
    return table


if __name__ == "__main__":
    print(run().markdown())
