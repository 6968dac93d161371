"""`crmconf signoff --base`: data-driven cases each name exactly the parties a change needs (both sides of
the spec count: removals and dropped owners too)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import CLI
from tests.council.repo import commit, edited, make_repo, write

CASES = YAML(typ="safe").load((Path(__file__).parent / "signoff_cases.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_each_change_names_exactly_who_must_sign_off(cli: CLI, tmp_path: Path, case: dict[str, Any]) -> None:
    ws = make_repo(tmp_path)
    tree = edited(case)
    write(ws, tree.pop("config"), tree)
    ran = cli("signoff", ws, "--base", "HEAD", "--format", "json")
    assert ran.code == 0, ran.err
    result = json.loads(ran.out)
    assert result["needs_signoff"] == case["expect"], result
    for need in result["needs"]:
        assert need["reasons"] and all(r["address"] and r["what"] for r in need["reasons"])


def test_a_word_changed_in_a_long_definition_shows_whole(cli: CLI, tmp_path: Path) -> None:
    ws = make_repo(tmp_path)
    long = "A lead marketing has qualified. " * 20 + "It scores at least 50."
    tree = edited({"set": {"terminology.1.definition": long}})
    write(ws, tree.pop("config"), tree)
    commit(ws.parent, "long")
    tree = edited({"set": {"terminology.1.definition": long.replace("at least 50", "at least 60")}})
    write(ws, tree.pop("config"), tree)
    ran = cli("diff", ws, "--base", "HEAD")
    assert ran.code == 0, ran.err
    assert "at least [-50.-]{+60.+}" in ran.out  # the changed word, marked
    assert long.replace("at least 50.", "at least [-50.-]{+60.+}") in ran.out  # and the whole text, uncut


def test_the_text_report_says_why(cli: CLI, tmp_path: Path) -> None:
    ws = make_repo(tmp_path)
    tree = edited({"delete": ["terminology.1"], "set": {"pipelines.0.owners": ["sales"]}})
    write(ws, tree.pop("config"), tree)
    ran = cli("signoff", ws, "--base", "HEAD")
    assert ran.code == 0, ran.err
    assert "marketing (team)" in ran.out and "term.mql: removed" in ran.out
    assert "owners changed: sales, revops -> sales" in ran.out
    markdown = cli("signoff", ws, "--base", "HEAD", "--format", "markdown").out
    assert markdown.startswith("<!-- crmconf-signoff -->") and "| **marketing** |" in markdown


def test_without_a_council_unowned_changes_are_noted(cli: CLI, tmp_path: Path) -> None:
    ws = make_repo(tmp_path, config={"version": 1})
    tree = edited({"set": {"fields.deal.1.label": "Lead source"}})
    tree.pop("config")
    write(ws, {"version": 1}, tree)
    ran = cli("signoff", ws, "--base", "HEAD", "--format", "json")
    result = json.loads(ran.out)
    assert result["needs_signoff"] == [] and result["unowned"][0]["address"] == "field.deal.source"
    assert "no council is set" in result["notes"][0]


def test_a_plan_adds_what_applying_would_revert(cli: CLI, tmp_path: Path) -> None:
    """The spec did not change, but the live org drifted: applying would change what sales owns."""
    ws = make_repo(tmp_path)
    assert cli("apply", "--dir", ws, "--auto-approve").code == 0
    org = ws / ".crmconf" / "local-org.json"
    data = json.loads(org.read_text())
    data["objects"]["term.deal"]["attrs"]["definition"] = "Edited by hand."
    org.write_text(json.dumps(data))
    assert json.loads(cli("signoff", ws, "--base", "HEAD", "--format", "json").out)["needs_signoff"] == []
    ran = cli("signoff", ws, "--base", "HEAD", "--target", "local", "--format", "json")
    assert json.loads(ran.out)["needs_signoff"] == ["sales"], ran.err
    saved = tmp_path / "plan.json"
    assert cli("plan", ws, "--out", saved).code == 0
    assert json.loads(cli("signoff", ws, "--base", "HEAD", "--plan", saved, "--format", "json").out)[
        "needs_signoff"] == ["sales"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base", "no-such-rev"], "no-such-rev"),
        (["--base", "HEAD", "--post-status"], "--post-status needs --pull-request"),
        (["--base", "HEAD", "--pull-request", "3"], "GITHUB_TOKEN"),
    ],
)
def test_usage_errors_are_plain(cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
                                message: str) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    ws = make_repo(tmp_path)
    ran = cli("signoff", ws, *args)
    assert ran.code == 1 and message in ran.err
