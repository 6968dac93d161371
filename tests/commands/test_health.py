"""`crmconf health` as a scheduled job runs it: the history file, escalation and its exit code, every format."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from crmconf.health.history import read
from tests.conftest import CLI

START = datetime(2026, 11, 1, 9, tzinfo=UTC)
SPEC = """pipelines:
  - name: sales
    object: deal
    label: Sales
    owners: [sales]
    stages:
      - {name: open, label: Open, probability: 50, owner_team: sdr, require: [amount]}
      - {name: won, label: Won, probability: 100, outcome: won}
      - {name: lost, label: Lost, probability: 0, outcome: lost}
teams:
  - {name: sales}
  - {name: sdr}
  - {name: revops}
health:
  escalate_after: 14d
  notify: [revops]
  duplicates: false
  activity_per_user: false
  stale_deals: {after: 30d}
"""


@pytest.fixture
def ws(tmp_path: Path, cli: CLI) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "crmconf.yaml").write_text("version: 1\npolicies: {require_automation_owner: false}\n")
    (root / "spec.yaml").write_text(SPEC)
    assert cli("apply", "-w", root, "--auto-approve").code == 0
    _records(root, amounts=[100, None, 300, 400])
    return root


def _records(root: Path, *, amounts: list[int | None], owner: str = "rep@acme.example") -> None:
    org_path = root / ".crmconf" / "local-org.json"
    org = json.loads(org_path.read_text())
    org["users"] = [{"email": owner, "active": True}]
    org["records"] = {"deal": [{"id": str(i), "pipeline": "sales", "stage": "open", "owner": owner, "amount": a,
                                "lead_source": "inbound", "stage_entered_at": START.isoformat()}
                               for i, a in enumerate(amounts)]}
    org_path.write_text(json.dumps(org))


def _run(cli: CLI, ws: Path, at: datetime, *args: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.setenv("CRMCONF_NOW", at.isoformat())
    ran = cli("health", "-w", ws, *args)
    return ran.code, ran.out, ran.err


def test_each_run_is_kept_and_a_long_streak_escalates(cli: CLI, ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = _run(cli, ws, START, monkeypatch=monkeypatch)
    assert code == 0  # below target, not yet for long
    assert "Required fields filled: 75% (below target" in out
    assert "health/local.jsonl" in err
    code, _, _ = _run(cli, ws, START + timedelta(days=7), monkeypatch=monkeypatch)
    assert code == 0
    code, out, err = _run(cli, ws, START + timedelta(days=14), monkeypatch=monkeypatch)
    assert code == 5, out + err
    assert "ESCALATED: below target since 2026-11-01 (14 days; escalates after 14)" in out
    assert "Notify teams: revops, sales, sdr" in out
    assert "Notify people: rep@acme.example" in out
    assert "required_field_completion" in err and "exit 5" in err
    runs, unreadable = read(ws, "local")
    assert len(runs) == 3 and unreadable == 0
    assert runs[-1].kpis["required_field_completion"]["stage:sales.open"].value == 75.0
    assert all("owner:" not in key for r in runs for cells in r.kpis.values() for key in cells)  # no people kept


def test_back_on_target_ends_the_streak(cli: CLI, ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run(cli, ws, START, monkeypatch=monkeypatch)
    _records(ws, amounts=[100, 200, 300, 400])
    assert _run(cli, ws, START + timedelta(days=7), monkeypatch=monkeypatch)[0] == 0
    _records(ws, amounts=[100, None, 300, 400])
    code, out, _ = _run(cli, ws, START + timedelta(days=15), monkeypatch=monkeypatch)
    assert code == 0 and "below target since this run" in out


@pytest.mark.parametrize(("fail_on", "code"), [("never", 0), ("below", 5), ("escalated", 0)])
def test_fail_on(cli: CLI, ws: Path, monkeypatch: pytest.MonkeyPatch, fail_on: str, code: int) -> None:
    assert _run(cli, ws, START, "--fail-on", fail_on, "--no-history", monkeypatch=monkeypatch)[0] == code
    assert not (ws / "health").exists()  # --no-history wrote nothing


def test_formats(cli: CLI, ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for days in (0, 7, 14):
        _run(cli, ws, START + timedelta(days=days), "--format", "json", monkeypatch=monkeypatch)
    code, out, _ = _run(cli, ws, START + timedelta(days=21), "--format", "json", "--no-history",
                        monkeypatch=monkeypatch)
    data = json.loads(out)
    assert data["format_version"] == 1 and data["summary"]["escalated"] == ["required_field_completion"]
    kpi = data["kpis"][0]
    assert [p["value"] for p in kpi["trend"]] == [75.0, 75.0, 75.0, 75.0]
    assert data["notify"] == {"teams": ["revops", "sales", "sdr"], "people": ["rep@acme.example"]}
    _, md, _ = _run(cli, ws, START + timedelta(days=21), "--format", "markdown", "--no-history",
                    monkeypatch=monkeypatch)
    assert md.startswith("## crmconf health: target local") and "| Required fields filled | 75% |" in md
    page = ws / "health.html"
    code, _, _ = _run(cli, ws, START + timedelta(days=21), "--format", "html", "--out", str(page),
                      "--no-history", monkeypatch=monkeypatch)
    assert code == 5  # escalated
    html = page.read_text()
    assert "<svg" in html and "<polyline" in html and "Content-Security-Policy" in html
    # self-contained: nothing to fetch, nothing to run
    assert not re.search(r"<script|\bsrc=|\bhref=|url\(|@import", html)


def test_a_broken_history_line_is_skipped_with_a_warning(cli: CLI, ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run(cli, ws, START, monkeypatch=monkeypatch)
    with (ws / "health" / "local.jsonl").open("a") as handle:
        handle.write('{"at": "yesterday"}\nnot json\n')
    code, _, err = _run(cli, ws, START + timedelta(days=1), monkeypatch=monkeypatch)
    assert code == 0 and "2 line(s) of health/local.jsonl could not be read" in err


def test_hostile_values_are_shown_not_obeyed(cli: CLI, ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An owner or a picklist value from the CRM is text in every format."""
    _records(ws, amounts=[None], owner="x@y.example")
    org_path = ws / ".crmconf" / "local-org.json"
    org = json.loads(org_path.read_text())
    org["records"]["deal"][0]["lead_source"] = "<img src=x onerror=alert(1)>|[link](http://evil)"
    org_path.write_text(json.dumps(org))
    (ws / "fields.yaml").write_text(
        "fields:\n  deal:\n    - {name: lead_source, label: Lead Source, type: picklist, options: [inbound]}\n")
    _, html_out, _ = _run(cli, ws, START, "--format", "html", "--no-history", monkeypatch=monkeypatch)
    assert "<img" not in html_out and "&lt;img src=x" in html_out
    _, md, _ = _run(cli, ws, START, "--format", "markdown", "--no-history", monkeypatch=monkeypatch)
    rendered = MarkdownIt("commonmark").enable("table").render(md)
    tags = set(re.findall(r"<([a-z0-9]+)[\s>]", rendered))
    assert tags <= {"h2", "h3", "p", "strong", "table", "thead", "tbody", "tr", "th", "td", "code"}, tags
    assert "&lt;img src=x" in md  # shown as text


def test_a_history_linked_outside_the_workspace_is_refused(cli: CLI, ws: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "elsewhere.jsonl"
    outside.write_text("")
    (ws / "health").mkdir()
    (ws / "health" / "local.jsonl").symlink_to(outside)
    code, _, err = _run(cli, ws, START, monkeypatch=monkeypatch)
    assert code == 1 and "leads outside the workspace" in err
    assert outside.read_text() == ""
