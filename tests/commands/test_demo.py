"""`make demo` keeps telling its story: a real diff from the drifted seed, then a clean second plan."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from crmconf import demo
from tests.conftest import CLI

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "specs", tmp_path / "specs", ignore=shutil.ignore_patterns(".crmconf"))
    shutil.copytree(REPO / "demo", tmp_path / "demo")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_seed_drifts_in_every_way_the_demo_promises(cli: CLI, demo_root: Path) -> None:
    state = demo_root / "specs" / ".crmconf"
    state.mkdir()
    shutil.copyfile(demo_root / "demo" / "seed-org.json", state / "local-org.json")
    plan = json.loads(cli("plan", "specs", "--format", "json").out)
    by_address = {c["address"]: c for c in plan["changes"]}
    assert by_address["pipeline.new_business.stage.demo"]["before"]["label"] == "Opp Demo"  # avoided term
    assert "options" in by_address["field.deal.loss_reason"]["changed"]  # options missing live
    retired = by_address["pipeline.new_business.stage.qualification"]
    assert retired["action"] == "delete" and retired["migrate_to"] == "pipeline.new_business.stage.discovery"
    assert "record(s) move to" in retired["impact"]
    assert [u["address"] for u in plan["unmanaged"]] == ["automation.legacy_opp_scoring"]  # live, in no spec


def test_demo_runs_end_to_end(
    demo_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CRMCONF_TODAY", raising=False)  # the demo keeps its own clock, whatever the real date
    assert demo.main(demo_root) == 0
    assert "CRMCONF_TODAY" not in os.environ
    out = capsys.readouterr().out
    assert "The demo's clock: 2026-11-23" in out
    assert out.count("Plan: 0 to add, 4 to change, 1 to destroy.") == 1  # each plan is shown once
    assert out.count("to add") == 1 and "$ crmconf apply plan.json --allow-destroy" in out
    assert "1 destructive change(s): applying needs --allow-destroy. 5 manual step(s) still open." in out
    # While steps are open the plan never says the CRM matches; once verified or recorded done, it does.
    assert "No changes. 5 manual step(s) still open: the CRM does not match the spec until they are done." in out
    assert out.count("verified: crmconf read permission.customer_success in the CRM") == 2
    assert "done: recorded done by maria.lopez@acme.example" in out
    assert "No changes. The live CRM matches the spec." in out
    assert out.rstrip().endswith(".demo/specs/.crmconf/journal.jsonl.")
    scratch = demo_root / ".demo" / "specs"
    org = json.loads((scratch / ".crmconf" / "local-org.json").read_text())
    qualification = [d for d in org["records"]["deal"] if d["stage"] == "qualification"]
    assert qualification == []  # the deals really moved
    assert "manual_steps:" in (scratch / "manual-steps.yaml").read_text()  # recorded where git keeps it
    # It ends with health: the KPIs counted on the org's records, some below target, trends from the kept runs.
    report = out[out.rindex("$ crmconf health -w specs\n"):]
    table = report[report.index("KPI "):report.index("\n\n", report.index("KPI "))]
    assert "below target" in table and "ESCALATED" in table and "on target" in table
    assert len((scratch / "health" / "local.jsonl").read_text().splitlines()) == 3  # two kept runs, then this one
    page = (scratch / "health.html").read_text()
    assert page.count("<svg") == 7 and "<script" not in page
    assert not (demo_root / "specs" / "manual-steps.yaml").exists()  # the example itself is never edited
