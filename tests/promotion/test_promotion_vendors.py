"""Promotion against the vendor emulators, through the real clients: two portals (HubSpot) and two orgs
(Salesforce) as sandbox and production; production refuses a spec the sandbox has not applied and verified."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.salesforce import SalesforceEmulator
from tests.providers.hubspot.conftest import emulator_settings, settings_block

FIELD = (
    "teams:\n  - {name: finance, members: [{email: ana@acme.example, github: ana}]}\n"
    "fields:\n  deal:\n    - {name: arr, label: ARR, type: currency, owners: [finance]}\n"
)


def run_promotion(cli: CLI, ws: Path, sandbox: str, production: str) -> None:
    refused = cli("apply", "--dir", ws, "--target", production, "--auto-approve")
    assert refused.code == 1, refused.err
    assert f"{production} comes after {sandbox}" in refused.err and "was not applied" in refused.err
    ran = cli("apply", "--dir", ws, "--target", sandbox, "--auto-approve")
    assert ran.code == 0, ran.err
    assert f"on {sandbox}, verified" in ran.err
    ran = cli("apply", "--dir", ws, "--target", production, "--auto-approve")
    assert ran.code == 0, ran.err
    status = json.loads(cli("status", ws, "--format", "json").out)
    assert [(t["target"], t["current"]) for t in status["targets"]] == [(sandbox, True), (production, True)]
    (ws / "spec.yaml").write_text(FIELD.replace("label: ARR", "label: Annual recurring revenue"))
    again = cli("apply", "--dir", ws, "--target", production, "--auto-approve")
    assert again.code == 1 and f"{sandbox} last ran spec" in again.err


@pytest.fixture
def portals(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[HubSpotEmulator, HubSpotEmulator]]:
    with HubSpotEmulator(seed=False) as sandbox, HubSpotEmulator(seed=False, token="pat-na1-production") as prod:
        monkeypatch.setenv("HUBSPOT_TOKEN", sandbox.token)
        monkeypatch.setenv("HUBSPOT_PROD_TOKEN", prod.token)
        yield sandbox, prod


def test_hubspot_production_waits_for_the_sandbox(cli: CLI, tmp_path: Path,
                                                  portals: tuple[HubSpotEmulator, HubSpotEmulator]) -> None:
    sandbox, prod = portals
    prod_block = settings_block(emulator_settings(prod)).replace("HUBSPOT_TOKEN", "HUBSPOT_PROD_TOKEN")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "crmconf.yaml").write_text(
        "version: 1\ndefault_target: sandbox\npromotion: [sandbox, production]\ntargets:\n"
        f"  sandbox:\n    provider: hubspot\n    settings:\n{settings_block(emulator_settings(sandbox))}\n"
        f"  production:\n    provider: hubspot\n    settings:\n{prod_block}\n")
    (ws / "spec.yaml").write_text(FIELD)
    run_promotion(cli, ws, "sandbox", "production")
    assert prod.requests.total > 0 and sandbox.requests.total > 0


@pytest.fixture
def orgs(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SalesforceEmulator, SalesforceEmulator]]:
    with SalesforceEmulator(seed=False) as sandbox, SalesforceEmulator(seed=False, session_id="00Dprod!session") as prod:
        for name, emu in (("SANDBOX", sandbox), ("PROD", prod)):
            monkeypatch.setenv(f"SF_SESSION_{name}", emu.session_id)
            monkeypatch.setenv(f"SF_CA_{name}", emu.ca_path)
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
        yield sandbox, prod


def test_salesforce_production_waits_for_the_sandbox(cli: CLI, tmp_path: Path,
                                                     orgs: tuple[SalesforceEmulator, SalesforceEmulator]) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    targets = "".join(
        f"  {name}:\n    provider: salesforce\n    settings:\n      instance_url: \"{emu.instance_url}\"\n"
        f"      session_env: SF_SESSION_{env}\n      ca_bundle_env: SF_CA_{env}\n"
        for name, env, emu in (("sandbox", "SANDBOX", orgs[0]), ("production", "PROD", orgs[1]))
    )
    (ws / "crmconf.yaml").write_text(
        f"version: 1\ndefault_target: sandbox\npromotion: [sandbox, production]\ntargets:\n{targets}")
    (ws / "spec.yaml").write_text(FIELD)
    run_promotion(cli, ws, "sandbox", "production")
