"""End to end through the CLI: specs/ planned and applied to the emulated portal, then changed, under
faults too; `crmconf import` round-trips; the token never shows anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.emulators.hubspot import HubSpotEmulator
from tests.providers.hubspot.conftest import TARGET, duplicates, edit

WRITES = ("POST", "PATCH", "PUT", "DELETE")


def writes(emu: HubSpotEmulator) -> int:
    """Write requests to the CRM (record searches, batch reads and the token's scopes are POSTs that change
    nothing; the apply lock, taken and released by every apply, is crmconf's own file, not the CRM)."""
    reads = emu.requests.matching("POST", "/automation/v4/flows/batch/read") + emu.requests.matching(
        "POST", "/oauth/v2/private-apps/get/access-token-info") + sum(
        emu.requests.matching("POST", f"/crm/v3/objects/{o}/search") for o in ("contacts", "companies", "deals",
                                                                                "tickets"))
    own = sum(emu.requests.matching(m, "/files/v3/files") for m in WRITES)
    return sum(emu.requests.matching(m) for m in WRITES) - reads - own


def storm(emu: HubSpotEmulator, kind: str, every: int, rules: int, **kw: object) -> None:
    """A fault on about one request in `every` (rules with growing skips fire in turn)."""
    for i in range(rules):
        emu.faults.inject(kind, skip=i * (every - 1), **kw)  # type: ignore[arg-type]


def change_the_spec(ws: Path) -> None:
    edit(ws / "pipelines" / "renewals.yaml", "probability: 80", "probability: 60")
    edit(ws / "fields" / "deal.yaml", "        - {value: renewal, label: Renewal}",
         "        - {value: renewal, label: Contract renewal}\n        - {value: upsell, label: Upsell}")
    text = (ws / "fields" / "deal.yaml").read_text()
    start, end = text.index("    - name: competitor"), text.index("    - name: loss_reason")
    (ws / "fields" / "deal.yaml").write_text(text[:start] + text[end:])  # a field nothing refers to: gone
    edit(ws / "crmconf.yaml", "  prune: []", "  prune: [field]")
    edit(ws / "automations.yaml", "    reviewed: 2026-09-01\n", "    reviewed: 2026-09-01\n    status: inactive\n")


@pytest.mark.parametrize("weather", ["calm", "429-storm", "5xx-timeouts-lost-replies"])
def test_plan_apply_change_apply_plan(cli: CLI, emu: HubSpotEmulator, ws: Path, tmp_path: Path, weather: str) -> None:
    if weather == "429-storm":
        storm(emu, "rate_limit", every=3, rules=150)
    elif weather == "5xx-timeouts-lost-replies":
        storm(emu, "server_error", every=5, rules=60)
        for path in (r"/crm/v3/pipelines/deals$", r"/automation/v4/flows$", r"/batch/create$"):
            emu.faults.inject("timeout", methods=("POST",), path=path, applied_effect=True)
        emu.faults.inject("drop", methods=("PATCH",), applied_effect=True)
        emu.faults.inject("timeout", methods=("GET",), path=r"/crm/v3/properties/")
    plan_file = tmp_path / "plan.json"
    first = cli("plan", "-w", ws, "-t", TARGET, "--detailed-exitcode", "--out", plan_file)
    assert first.code == 2, first.err
    assert "+ pipeline.new_business" in first.out and "~ automation.1500003" in first.out
    assert "! removes option 'COMPUTER_SOFTWARE' is used by 1 record(s)" in first.out
    assert "Settings \u203a Objects \u203a Deals \u203a Pipelines \u203a New Business \u203a Edit stage properties" in first.out

    before = writes(emu)
    refused = cli("apply", "-w", ws, "-t", TARGET, "--auto-approve")
    assert refused.code == 1 and "--allow-destroy" in refused.err and writes(emu) == before

    applied = cli("apply", "-w", ws, "-t", TARGET, "--auto-approve", "--allow-destroy")
    assert applied.code == 0, applied.err
    assert cli("plan", "-w", ws, "-t", TARGET, "--detailed-exitcode").code == 0

    change_the_spec(ws)
    second = cli("plan", "-w", ws, "-t", TARGET, "--detailed-exitcode")
    assert second.code == 2
    for line in ("- field.deal.competitor", "~ pipeline.renewals.stage.health_review",
                 "~ field.deal.deal_type", "~ automation.1500003", "- field.contact.nps_score"):
        assert line in second.out
    assert cli("apply", "-w", ws, "-t", TARGET, "--auto-approve").code == 1  # archiving needs --allow-destroy
    assert "competitor" in [p["name"] for p in emu.properties("deals")]
    assert cli("apply", "-w", ws, "-t", TARGET, "--auto-approve", "--allow-destroy").code == 0
    assert cli("plan", "-w", ws, "-t", TARGET, "--detailed-exitcode").code == 0

    assert "competitor" not in [p["name"] for p in emu.properties("deals")]
    assert next(f for f in emu.flows() if f["id"] == "1500003")["isEnabled"] is False
    renewals = next(p for p in emu.pipelines("deals") if p["label"] == "Renewals")
    assert [s["metadata"]["probability"] for s in renewals["stages"]][1] == "0.6"
    assert not duplicates(emu) and len([f for f in emu.flows() if f["name"].startswith("[crmconf]")]) == 3
    fired = [r.kind.value for r in emu.faults.rules if r.times == 0]
    if weather == "429-storm":
        assert fired.count("rate_limit") >= 50
    elif weather == "5xx-timeouts-lost-replies":  # every lost reply happened, and plenty of 5xx
        assert fired.count("timeout") == 4 and fired.count("drop") == 1 and fired.count("server_error") >= 20

    # The token is nowhere: not in what was printed, not in the saved plan, not in the journal.
    journal = (ws / ".crmconf" / "journal.jsonl").read_text()
    for text in (first.out, first.err, applied.out, applied.err, second.out, plan_file.read_text(), journal,
                 (ws / "crmconf.yaml").read_text()):
        assert emu.token not in text
    assert '"outcome": "applied"' in journal


def test_import_then_plan_is_empty(cli: CLI, emu: HubSpotEmulator, ws: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    ran = cli("import", "-w", ws, "-t", TARGET, "--out", fresh)
    assert ran.code == 0, ran.err
    assert cli("plan", fresh, "--detailed-exitcode").code == 0

    assert cli("apply", "-w", ws, "-t", TARGET, "--auto-approve", "--allow-destroy").code == 0
    after = tmp_path / "after"
    assert cli("import", "-w", ws, "-t", TARGET, "--out", after).code == 0
    imported = (after / "automations.yaml").read_text()
    assert "name: proposal_follow_up" in imported and "hubspot: '1500003'" in imported
    assert "name: industry" in (after / "fields.yaml").read_text()  # the options ws manages stay managed
    assert cli("validate", after).code == 0
    plan = cli("plan", after, "--detailed-exitcode")
    assert plan.code == 0, plan.out
    assert emu.token not in (after / "crmconf.yaml").read_text()


def test_a_literal_token_in_the_settings_is_refused_and_not_echoed(cli: CLI, emu: HubSpotEmulator, ws: Path) -> None:
    edit(ws / "crmconf.yaml", "token_env: HUBSPOT_TOKEN", f"token_env: {emu.token}")
    ran = cli("plan", "-w", ws, "-t", TARGET)
    assert ran.code == 1 and "must be the NAME of an environment variable" in ran.err
    assert emu.token not in ran.out + ran.err
    # Pasted under a key of its own (first, so the error quotes that very line): refused, and masked.
    edit(ws / "crmconf.yaml", f"token_env: {emu.token}", f"token: {emu.token}\n      token_env: HUBSPOT_TOKEN")
    ran = cli("plan", "-w", ws, "-t", TARGET)
    assert ran.code == 1 and "S210" in ran.err and "'token' was unexpected" in ran.err
    assert "|       token: ***" in ran.err and emu.token not in ran.out + ran.err


def test_audit_reads_live_workflows(cli: CLI, emu: HubSpotEmulator, ws: Path) -> None:
    ran = cli("audit", "-w", ws, "-t", TARGET, "--format", "json")
    assert ran.code in (0, 3), ran.err
    assert '"live_address": "automation.1500003"' in ran.out
    assert "automation.1500001" in ran.out  # an orphan: live, in no spec
