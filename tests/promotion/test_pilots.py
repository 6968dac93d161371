"""Pilots: an automation reaches a team's members first, then everyone by removing one line; a provider that
cannot scope it refuses the plan (P501) rather than reach everyone."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from crmconf_hubspot import HubSpotProvider
from crmconf_local import LocalProvider
from crmconf_salesforce import SalesforceProvider

from crmconf.promotion.pilots import unsupported
from crmconf.spec.workspace import load_workspace
from tests.conftest import CLI
from tests.council.repo import CONFIG, SECTIONS, write


def piloted(tmp_path: Path) -> Path:
    sections = copy.deepcopy(SECTIONS)
    sections["automations"][0]["pilot"] = {"teams": ["sales"], "users": ["Ana@acme.example"]}
    ws = tmp_path / "ws"
    write(ws, CONFIG, sections)
    path = ws / "automations.yaml"
    text = path.read_text()
    block = text[text.index("  pilot:"):]
    path.write_text(text.replace(block, "  pilot: {teams: [sales], users: [Ana@acme.example]}\n"))
    return ws


def test_a_pilot_reaches_its_people_then_everyone(cli: CLI, tmp_path: Path) -> None:
    ws = piloted(tmp_path)
    assert cli("apply", "--dir", ws, "--auto-approve").code == 0
    org = ws / ".crmconf" / "local-org.json"
    attrs = json.loads(org.read_text())["objects"]["automation.follow_up"]["attrs"]
    assert attrs["pilot"] == {"users": ["ana@acme.example", "maria@acme.example", "tomas@acme.example"]}
    path = ws / "automations.yaml"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(x for x in lines if "pilot:" not in x))  # one line removed: everyone
    plan = cli("plan", ws)
    assert "~ automation.follow_up" in plan.out and "pilot" in plan.out
    assert cli("apply", "--dir", ws, "--auto-approve").code == 0
    assert json.loads(org.read_text())["objects"]["automation.follow_up"]["attrs"].get("pilot") is None


@pytest.mark.parametrize("provider", [HubSpotProvider])
def test_a_provider_that_cannot_scope_a_pilot_refuses_it(tmp_path: Path, provider: type) -> None:
    ws = load_workspace(piloted(tmp_path))
    assert ws.spec is not None
    [refusal] = unsupported(ws.spec, ws.sources, provider)
    assert refusal.code == "P501" and refusal.is_error and provider.name in refusal.message
    assert refusal.location is not None and refusal.location.file == "automations.yaml"
    # The local org stores the audience; Salesforce scopes the flows it compiles (its compile refuses the rest:
    # tests/providers/salesforce/test_pilots.py).
    for scoping in (LocalProvider, SalesforceProvider):
        assert list(unsupported(ws.spec, ws.sources, scoping)) == []


def test_a_pilot_team_must_be_declared(cli: CLI, tmp_path: Path) -> None:
    ws = piloted(tmp_path)
    path = ws / "automations.yaml"
    path.write_text(path.read_text().replace("teams: [sales]", "teams: [sales-emea]"))
    ran = cli("validate", ws)
    assert ran.code == 1 and "G601" in ran.out and "sales-emea" in ran.out
