"""Sandbox, then production: a later target takes only a spec applied and verified on the one before; per-target
overrides; `crmconf status` says which commit runs where. On the local provider (two org files)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI
from tests.council.repo import SECTIONS, commit, make_repo, write

CONFIG: dict[str, Any] = {
    "version": 1,
    "default_target": "sandbox",
    "targets": {
        "sandbox": {"provider": "local", "settings": {"path": ".crmconf/sandbox.json"}},
        "production": {
            "provider": "local",
            "settings": {"path": ".crmconf/production.json"},
            "overrides": {"automations": {"follow_up": {"status": "inactive"}},
                          "fields": {"deal.arr": {"help_text": "Booked in the ERP"}}},
        },
    },
    "promotion": ["sandbox", "production"],
    "policies": {"council": "revops"},
}


def org(ws: Path, name: str) -> dict[str, Any]:
    path = ws / ".crmconf" / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def workspace(tmp_path: Path, config: dict[str, Any] | None = None) -> Path:
    return make_repo(tmp_path, config=config or CONFIG)


def test_production_takes_only_what_the_sandbox_ran_verified(cli: CLI, tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    refused = cli("apply", "--dir", ws, "--target", "production", "--auto-approve")
    assert refused.code == 1
    assert "production comes after sandbox" in refused.err and "was not applied on sandbox" in refused.err
    assert "nothing was ever applied to sandbox" in refused.err and org(ws, "production") == {}

    assert cli("apply", "--dir", ws, "--target", "sandbox", "--auto-approve").code == 0
    ran = cli("apply", "--dir", ws, "--target", "production", "--auto-approve")
    assert ran.code == 0, ran.err
    assert "Release: spec" in ran.err and "on production, verified" in ran.err

    # Overrides: production got its own values, the sandbox the spec's.
    assert org(ws, "sandbox")["objects"]["automation.follow_up"]["attrs"]["status"] == "active"
    assert org(ws, "production")["objects"]["automation.follow_up"]["attrs"]["status"] == "inactive"
    assert org(ws, "production")["objects"]["field.deal.arr"]["attrs"]["help_text"] == "Booked in the ERP"

    spec = ws / "terminology.yaml"
    spec.write_text(spec.read_text().replace("tracked in a pipeline", "tracked in one pipeline"))
    refused = cli("apply", "--dir", ws, "--target", "production", "--auto-approve")
    assert refused.code == 1 and "was not applied on sandbox" in refused.err
    assert "sandbox last ran spec" in refused.err  # and what it did run, with its commit


def test_an_unverified_sandbox_apply_does_not_open_production(cli: CLI, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    ws = workspace(tmp_path)
    monkeypatch.setenv("CRMCONF_LOCAL_FAULTS", "term.mql")
    assert cli("apply", "--dir", ws, "--target", "sandbox", "--auto-approve").code == 1
    refused = cli("apply", "--dir", ws, "--target", "production", "--auto-approve")
    assert refused.code == 1 and "applied but not verified on sandbox" in refused.err
    monkeypatch.delenv("CRMCONF_LOCAL_FAULTS")
    assert cli("apply", "--dir", ws, "--target", "sandbox", "--auto-approve").code == 0
    assert cli("apply", "--dir", ws, "--target", "production", "--auto-approve").code == 0


def test_a_soak_period_holds_production_back(cli: CLI, tmp_path: Path) -> None:
    config = copy.deepcopy(CONFIG)
    config["policies"]["promotion_soak"] = "2d"
    ws = workspace(tmp_path, config)
    assert cli("apply", "--dir", ws, "--target", "sandbox", "--auto-approve").code == 0
    refused = cli("apply", "--dir", ws, "--target", "production", "--auto-approve")
    assert refused.code == 1 and "the soak period is 2d 0h" in refused.err


def test_status_shows_which_commit_runs_where(cli: CLI, tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    head = commit(ws.parent, "nothing new")
    before = json.loads(cli("status", ws, "--format", "json").out)
    assert [t["target"] for t in before["targets"]] == ["sandbox", "production"]
    assert all(t["last"] is None and not t["current"] for t in before["targets"])
    assert cli("apply", "--dir", ws, "--target", "sandbox", "--auto-approve").code == 0
    after = json.loads(cli("status", ws, "--format", "json").out)
    sandbox, production = after["targets"]
    assert sandbox["last"]["commit"] == head and sandbox["last"]["verified"] and sandbox["current"]
    assert production["last"] is None and after["commit"] == head
    text = cli("status", ws).out
    assert f"workspace: spec {after['spec_digest'][:12]} at commit {head[:12]}" in text
    assert "never applied by crmconf" in text and head[:12] in text
    assert cli("apply", "--dir", ws, "--target", "sandbox", "--auto-approve").code == 0  # nothing to apply
    entries = json.loads(cli("status", ws, "--format", "json").out)["targets"][0]["last"]
    assert entries["changes"] == 0 and entries["verified"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"promotion": ["sandbox", "prod"]}, "promotion names target 'prod'"),
        ({"promotion": ["sandbox"]}, "at least two targets"),
        ({"overrides": {"automations": {"follow_upp": {"status": "inactive"}}}}, "'follow_upp', which the spec"),
        ({"overrides": {"automations": {"follow_up": {"status": "paused"}}}}, "override of 'follow_up': status"),
        ({"overrides": {"fields": {"deal.arr": {"name": "x"}}}}, "cannot rename"),
    ],
)
def test_promotion_and_overrides_are_validated_per_target(cli: CLI, tmp_path: Path, edit: dict[str, Any],
                                                           message: str) -> None:
    config = copy.deepcopy(CONFIG)
    if "overrides" in edit:
        config["targets"]["production"]["overrides"] = edit["overrides"]
    else:
        config.update(edit)
    ws = tmp_path / "ws"
    write(ws, config, SECTIONS)
    ran = cli("validate", ws)
    assert ran.code == 1 and message in ran.out and "crmconf.yaml:" in ran.out
