"""`crmconf audit` end to end: offline and against the local provider's org file, every format, exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.audit.htmlcheck import check
from tests.conftest import CLI

# Today is 2026-11-23 (tests/conftest.py). Reviews fall due 90 days after `reviewed`.
AUTOMATIONS = """\
automations:
  - name: proposal_follow_up          # all good
    object: deal
    trigger: {stage_entered: new_business.proposal}
    actions: [{create_task: {subject: Follow up on proposal, due_in: 3d}}]
    owner: maria@acme.example
    purpose: Keep proposals from going cold
    reviewed: 2026-11-01
  - name: stalled_alert               # edited live after its review
    object: deal
    trigger: {stale_in_stage: {days: 14, pipeline: new_business}}
    actions: [{notify: {to: [record_owner], message: Stalled}}]
    owner: maria@acme.example
    purpose: Keep the forecast honest
    reviewed: 2026-11-01
  - name: leaver_flow                 # its owner left the company
    object: deal
    trigger: {record_created: {}}
    actions: [{create_task: {subject: Welcome}}]
    owner: leaver@acme.example
    purpose: Say hello
    reviewed: 2026-11-01
  - name: soon_due                    # due 2026-11-28
    object: deal
    trigger: {record_created: {}}
    actions: [{create_task: {subject: Check}}]
    owner: maria@acme.example
    purpose: Check
    reviewed: 2026-08-30
  - name: removed_live                # deleted by hand in the CRM
    object: deal
    trigger: {record_created: {}}
    actions: [{create_task: {subject: Gone}}]
    owner: maria@acme.example
    purpose: Gone
    reviewed: 2026-11-01
  - name: legacy_router               # built in the vendor, only inventoried
    binds: {local: Legacy_Router}
    owner: maria@acme.example
    purpose: Route leads
    reviewed: 2026-11-01
"""

OFFLINE = {
    "proposal_follow_up": ["ok"],
    "stalled_alert": ["ok"],
    "leaver_flow": ["ok"],
    "soon_due": ["due-soon"],
    "removed_live": ["ok"],
    "legacy_router": ["ok"],
}
LIVE = {
    "proposal_follow_up": ["ok"],
    "stalled_alert": ["changed-since-review"],
    "leaver_flow": ["unowned"],
    "soon_due": ["due-soon"],
    "removed_live": ["missing"],
    "legacy_router": ["ok"],
    "automation.shadow_router": ["orphan"],
}


def org_path(root: Path) -> Path:
    return root / ".crmconf" / "local-org.json"


@pytest.fixture
def audited(cli: CLI, workspace: Path) -> Path:
    """The starter workspace with six automations, applied, then changed by hand in the local org."""
    (workspace / "automations.yaml").write_text(AUTOMATIONS)
    assert cli("apply", "-w", workspace, "--auto-approve").code == 0
    org = json.loads(org_path(workspace).read_text())
    for obj in org["objects"].values():  # the apply stamped today's wall clock; pin it before every review
        obj["updated_at"], obj["updated_by"] = "2026-08-01T10:00:00+00:00", "crmconf"
    org["objects"]["automation.stalled_alert"] |= {
        "updated_at": "2026-11-20T16:30:00+00:00",
        "updated_by": "devon",
    }
    org["objects"]["automation.stalled_alert"]["attrs"]["description"] = "edited by hand"
    org["objects"]["automation.shadow_router"] = {
        "kind": "automation",
        "attrs": {"status": "active", "description": "Routes deals nobody knows about"},
        "label": "Shadow router",
        "version": 1,
        "updated_at": "2026-11-02T08:00:00+00:00",
        "updated_by": "devon",
    }
    del org["objects"]["automation.removed_live"]
    org["users"] = [
        {"email": "maria@acme.example", "active": True},
        {"email": "leaver@acme.example", "active": False},
    ]
    org_path(workspace).write_text(json.dumps(org))
    return workspace


def verdicts(out: str) -> dict[str, list[str]]:
    return {r["name"]: r["verdicts"] for r in json.loads(out)["rows"]}


SCENARIOS: list[tuple[str, list[str], int, dict[str, list[str]]]] = [
    ("offline", ["--offline"], 0, OFFLINE),
    (
        "offline, a week on: soon_due is overdue",
        ["--offline", "--as-of", "2026-11-30"],
        3,
        {**OFFLINE, "soon_due": ["overdue"]},
    ),
    (
        "offline, before the reviews were due",
        ["--offline", "--as-of", "2026-11-10"],
        0,
        {**OFFLINE, "soon_due": ["ok"]},
    ),
    ("live", [], 3, LIVE),
    ("live, explicit target", ["--target", "local"], 3, LIVE),
    (
        "live, next spring: every review is overdue",
        ["--as-of", "2027-03-01"],
        3,
        {
            "proposal_follow_up": ["overdue"],
            "stalled_alert": ["changed-since-review", "overdue"],
            "leaver_flow": ["unowned", "overdue"],
            "soon_due": ["overdue"],
            "removed_live": ["missing", "overdue"],
            "legacy_router": ["overdue"],
            "automation.shadow_router": ["orphan"],
        },
    ),
]


@pytest.mark.parametrize(
    ("args", "code", "expected"), [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS]
)
def test_verdicts_and_exit_codes(
    cli: CLI, audited: Path, args: list[str], code: int, expected: dict[str, list[str]]
) -> None:
    ran = cli("audit", audited, "--format", "json", *args)
    assert ran.code == code, ran.err
    assert verdicts(ran.out) == expected
    assert ("need attention" in ran.err) is (code == 3)


def test_live_rows_carry_owner_and_modification(cli: CLI, audited: Path) -> None:
    rows = {r["name"]: r for r in json.loads(cli("audit", audited, "--format", "json").out)["rows"]}
    assert rows["stalled_alert"]["updated_by"] == "devon"
    assert rows["stalled_alert"]["updated_at"] == "2026-11-20T16:30:00+00:00"
    assert rows["leaver_flow"]["owner_active"] is False and rows["proposal_follow_up"]["owner_active"] is True
    assert rows["removed_live"]["live_status"] == "absent"
    assert rows["legacy_router"]["kind"] == "bound"
    assert rows["legacy_router"]["live_address"] == "automation.Legacy_Router"
    assert rows["automation.shadow_router"]["kind"] == "unmanaged"
    assert rows["proposal_follow_up"]["source"] == "automations.yaml:2:5"


def test_a_clean_live_audit_exits_0(cli: CLI, workspace: Path) -> None:
    assert cli("apply", "-w", workspace, "--auto-approve").code == 0
    org = json.loads(org_path(workspace).read_text())
    org["objects"]["automation.proposal_follow_up"]["updated_at"] = "2026-11-23T08:00:00+00:00"
    org_path(workspace).write_text(json.dumps(org))
    ran = cli("audit", workspace)
    assert ran.code == 0, ran.err
    assert ran.out.splitlines()[1] == "1 automation(s): 1 ok" and "PASS" in ran.out


def test_the_policy_decides_what_fails(cli: CLI, workspace: Path) -> None:
    (workspace / "automations.yaml").write_text(AUTOMATIONS)
    assert cli("audit", workspace, "--offline").code == 0  # due-soon alone passes by default
    config = workspace / "crmconf.yaml"
    config.write_text(config.read_text() + "  audit_fail_on: [due-soon]\n  review_due_soon: 3d\n")
    assert cli("audit", workspace, "--offline").code == 0  # due in 5 days: not yet "soon"
    config.write_text(config.read_text().replace("review_due_soon: 3d", "review_due_soon: 5d"))
    ran = cli("audit", workspace, "--offline", "--format", "json")
    assert ran.code == 3 and json.loads(ran.out)["fail_on"] == ["due-soon"]


def test_text_format(cli: CLI, audited: Path) -> None:
    ran = cli("audit", audited)
    lines = ran.out.splitlines()
    assert lines[0] == "crmconf automation audit: target local (local), as of 2026-11-23"
    assert lines[1] == (
        "7 automation(s): 1 orphan, 1 missing, 1 unowned, 1 changed-since-review, 1 due-soon, 2 ok"
    )
    assert any(x.startswith("orphan") and "automation.shadow_router" in x for x in lines)
    assert lines[-1].startswith("FAIL: 4 automation(s)")


def test_markdown_format(cli: CLI, audited: Path) -> None:
    md = cli("audit", audited, "--format", "markdown").out
    assert md.startswith("## crmconf automation audit: target local (local), as of 2026-11-23")
    assert "| orphan | 1 | yes |" in md and "| due-soon | 1 | no |" in md
    assert "| **stalled_alert** | compiled | deal | maria@acme.example | yes |" in md


def test_csv_format(cli: CLI, audited: Path) -> None:
    ran = cli("audit", audited, "--format", "csv")
    assert ran.out.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(ran.out.removeprefix("\ufeff"), newline="")))
    assert len(table) == 7
    by_name = {r["Automation"]: r for r in table}
    assert (
        by_name["removed_live"]["Verdicts"] == "missing"
        and by_name["removed_live"]["Live status"] == "absent"
    )
    assert by_name["stalled_alert"]["Modified by"] == "devon"


def test_csv_to_a_file_keeps_the_bom(cli: CLI, audited: Path, tmp_path: Path) -> None:
    out = tmp_path / "audit.csv"
    ran = cli("audit", audited, "--format", "csv", "--out", out)
    assert ran.code == 3 and ran.out == "" and f"wrote the audit to {out}" in ran.err
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfAutomation,Kind,") and b"\r\n" in data
    assert len(list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))) == 8


def test_html_format(cli: CLI, audited: Path, tmp_path: Path) -> None:
    out = tmp_path / "audit.html"
    assert cli("audit", audited, "--format", "html", "--out", out).code == 3
    html = out.read_text(encoding="utf-8")
    parsed = check(html)
    assert parsed.tags.count("svg") == 1 and "automation.shadow_router" in html


def test_json_format(cli: CLI, audited: Path) -> None:
    data: dict[str, Any] = json.loads(cli("audit", audited, "--format", "json").out)
    assert data["format_version"] == 1 and data["target"] == "local" and data["offline"] is False
    assert data["summary"]["automations"] == 7 and data["users_known"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--offline", "--target", "local"], "cannot be combined with --target"),
        (["--target", "nope"], "unknown target 'nope'"),
        (["--as-of", "23/11/2026"], "--as-of"),
        (["--format", "pdf"], "--format"),
    ],
    ids=["offline-and-target", "unknown-target", "bad-date", "bad-format"],
)
def test_usage_errors_exit_1(cli: CLI, audited: Path, args: list[str], message: str) -> None:
    ran = cli("audit", audited, *args)
    assert ran.code == 1 and message in ran.err and ran.out == ""


def test_an_invalid_workspace_exits_1(cli: CLI, workspace: Path) -> None:
    (workspace / "automations.yaml").write_text("automations:\n  - name: x\n    owner: someone\n")
    ran = cli("audit", workspace, "--offline")
    assert ran.code == 1 and "the workspace is invalid" in ran.err


def test_a_broken_local_org_exits_1(cli: CLI, audited: Path) -> None:
    org_path(audited).write_text("{not json")
    ran = cli("audit", audited)
    assert ran.code == 1 and "cannot read the local org" in ran.err
    assert cli("audit", audited, "--offline").code == 0  # offline never opens the provider


def test_crmconfs_own_applies_are_not_changes_since_review(cli: CLI, audited: Path) -> None:
    """Applying the reviewed spec (today, after the reviews) is not a change since review; a hand edit is."""
    org = json.loads(org_path(audited).read_text())
    del org["objects"]["automation.stalled_alert"]["written"]  # made by hand, before crmconf marked its writes
    org["users"][1]["active"] = True  # the leaver is back: the plan has no error, so apply runs
    org_path(audited).write_text(json.dumps(org))
    path = audited / "automations.yaml"
    path.write_text(path.read_text().replace("subject: Follow up on proposal", "subject: Call about the proposal"))
    assert cli("apply", "--dir", audited, "--auto-approve").code == 0  # stamps the wall clock: after review
    rows = {r["name"]: r for r in json.loads(cli("audit", audited, "--format", "json").out)["rows"]}
    assert rows["proposal_follow_up"]["verdicts"] == ["ok"] and rows["proposal_follow_up"]["updated_by"] == "crmconf"
    assert rows["stalled_alert"]["verdicts"] == ["ok"]  # crmconf put back what the spec says
    org = json.loads(org_path(audited).read_text())
    obj = org["objects"]["automation.proposal_follow_up"]
    obj["attrs"]["description"], obj["updated_by"] = "tweaked in the CRM", "devon"
    org_path(audited).write_text(json.dumps(org))
    rows = {r["name"]: r for r in json.loads(cli("audit", audited, "--format", "json").out)["rows"]}
    assert rows["proposal_follow_up"]["verdicts"] == ["changed-since-review"]
    assert rows["proposal_follow_up"]["updated_by"] == "devon"


def test_run_counts_give_unused_and_failing(cli: CLI, audited: Path) -> None:
    org = json.loads(org_path(audited).read_text())
    org["automation_runs"] = {
        "automation.proposal_follow_up": {"runs": 0, "failed_runs": 0},
        "automation.soon_due": {"runs": 50, "failed_runs": 10},
        "automation.Legacy_Router": {"runs": 900, "failed_runs": 2},
    }
    org_path(audited).write_text(json.dumps(org))
    ran = cli("audit", audited, "--format", "json")
    rows = {r["name"]: r for r in json.loads(ran.out)["rows"]}
    assert ran.code == 3
    assert rows["proposal_follow_up"]["verdicts"] == ["unused"]
    assert rows["soon_due"]["verdicts"] == ["failing", "due-soon"]
    assert rows["legacy_router"]["verdicts"] == ["ok"] and rows["legacy_router"]["runs"] == 900
    assert rows["leaver_flow"]["runs"] is None  # not counted: no verdict either way


def test_by_owner_writes_one_report_per_owner(cli: CLI, audited: Path, tmp_path: Path) -> None:
    out = tmp_path / "by-owner"
    ran = cli("audit", audited, "--by-owner", "--out", out, "--format", "json")
    assert ran.code == 3 and "one per owner" in ran.err
    assert sorted(p.name for p in out.iterdir()) == ["leaver@acme.example.json", "maria@acme.example.json",
                                                      "unowned.json"]
    maria = json.loads((out / "maria@acme.example.json").read_text())
    assert {r["name"] for r in maria["rows"]} == {"proposal_follow_up", "stalled_alert", "soon_due", "removed_live",
                                                   "legacy_router"}
    assert [r["name"] for r in json.loads((out / "unowned.json").read_text())["rows"]] == ["automation.shadow_router"]
    assert cli("audit", audited, "--by-owner").code == 1  # where to?
    assert "--by-owner" in cli("audit", audited, "--github-issues").err
