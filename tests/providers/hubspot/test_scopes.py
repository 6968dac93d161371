"""Private-app scopes: plans read only what the spec needs, a missing scope is one plain located error, and
`crmconf providers --target T` says which scopes the token has and lacks (the emulator checks each endpoint)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crmconf.errors import AuthError
from tests.conftest import CLI
from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.hubspot_scopes import ALL_SCOPES
from tests.providers.hubspot.conftest import TARGET, Engine, make_workspace

WITHOUT_AUTOMATION = ALL_SCOPES - {"automation"}


def use_token(emu: HubSpotEmulator, monkeypatch: pytest.MonkeyPatch, name: str, scopes: frozenset[str]) -> None:
    monkeypatch.setenv("HUBSPOT_TOKEN", emu.add_token(f"pat-na1-{name}", scopes))


def test_a_spec_without_automations_plans_without_the_automation_scope(
        emu: HubSpotEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_workspace(tmp_path / "ws", emu)
    (root / "automations.yaml").unlink()
    use_token(emu, monkeypatch, "no-automation", WITHOUT_AUTOMATION)
    plan = Engine(root).plan()
    assert plan.changes and emu.requests.matching(prefix="/automation") == 0
    assert emu.requests.matching("GET", "/crm/v3/owners") == 0  # no owners to check either


def test_a_spec_with_automations_fails_with_one_message_naming_the_scope(
        emu: HubSpotEmulator, ws: Path, monkeypatch: pytest.MonkeyPatch, cli: CLI) -> None:
    use_token(emu, monkeypatch, "no-automation", WITHOUT_AUTOMATION)
    with pytest.raises(AuthError) as refused:
        Engine(ws).plan()
    message = str(refused.value)
    assert "lacks the scope this plan needs: `automation` (automations, automations.yaml:9:5)" in message
    assert "Settings \u203a Integrations \u203a Private apps" in message and emu.token not in message
    assert emu.requests.matching(prefix="/crm/") == 0  # said before anything was read
    ran = cli("plan", "-w", ws, "-t", TARGET)
    assert ran.code == 1 and ran.err.count("\n") == 1 and "error E302" in ran.err and "`automation`" in ran.err


def test_without_token_introspection_a_403_gives_the_same_message(
        emu: HubSpotEmulator, ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_token(emu, monkeypatch, "no-automation", WITHOUT_AUTOMATION)
    emu.faults.inject("server_error", times=6, path="/access-token-info")  # HubSpot cannot say: learn from a 403
    with pytest.raises(AuthError, match=r"lacks the scope this plan needs: `automation` \(automations, automations"):
        Engine(ws).plan()
    assert emu.requests.matching("GET", "/automation/v4/flows") == 1


def test_every_missing_scope_is_named_with_its_concern(emu: HubSpotEmulator, ws: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    use_token(emu, monkeypatch, "deals-only", frozenset({"crm.schemas.deals.read", "crm.objects.deals.read"}))
    with pytest.raises(AuthError) as refused:
        Engine(ws).plan()
    message = str(refused.value)
    for scope, concern in (("crm.schemas.contacts.read", "fields on contacts, fields/contact.yaml:"),
                           ("automation", "automations, automations.yaml:"), ("tickets", "ticket pipelines, "),
                           ("settings.users.read", "checking the roles of permission sets exist, permissions.yaml:"),
                           ("crm.objects.contacts.read", "the contact lifecycle stages")):
        said = message.split(f"`{scope}` (", 1)[1].split(")", 1)[0]
        assert concern in said, (scope, said)
    assert "crm.schemas.deals.read" not in message


def test_the_access_report_says_what_the_token_has_and_lacks(emu: HubSpotEmulator, ws: Path,
                                                             monkeypatch: pytest.MonkeyPatch, cli: CLI) -> None:
    use_token(emu, monkeypatch, "no-writes", frozenset(s for s in ALL_SCOPES if not s.endswith(".write")))
    ran = cli("providers", "-w", ws, "--target", TARGET, "--format", "json")
    assert ran.code == 1 and "crm.schemas.deals.write" in ran.err  # the spec writes deal fields
    rows = {(r["permission"], r["needed_for"]): r for r in json.loads(ran.out)["access"]}
    assert rows[("automation", "plan")]["granted"] is True and rows[("crm.schemas.deals.write", "apply")] == {
        "permission": "crm.schemas.deals.write", "concern": "fields on deals", "needed_for": "apply", "granted": False}
    assert rows[("crm.objects.contacts.sensitive.read.v2", "optional")]["granted"] is True
    monkeypatch.setenv("HUBSPOT_TOKEN", emu.token)
    assert cli("providers", "-w", ws, "--target", TARGET).code == 0


def test_a_token_without_files_is_told_every_plan_reads_the_managed_record(
        emu: HubSpotEmulator, ws: Path, monkeypatch: pytest.MonkeyPatch, cli: CLI) -> None:
    use_token(emu, monkeypatch, "no-files", ALL_SCOPES - {"files"})
    ran = cli("plan", "-w", ws, "-t", TARGET)
    assert ran.code == 1 and ran.err.count("\n") == 1 and "error E302" in ran.err
    assert ("lacks the scope this plan needs: `files` (reading crmconf's managed record, a private file in the file "
            "manager every plan reads)") in ran.err
    assert emu.requests.matching(prefix="/crm/") == 0 and emu.requests.matching(prefix="/files/") == 0
    ran = cli("apply", "-w", ws, "-t", TARGET, "--auto-approve")  # the apply lock is the first thing it writes
    assert ran.code == 1 and ran.err.count("\n") == 1 and "error E302" in ran.err
    assert "lacks the scope crmconf needs here: `files` (writing the managed record and the apply lock)" in ran.err
    assert emu.requests.matching(prefix="/crm/") == 0 and emu.token not in ran.err


def test_without_token_introspection_a_files_403_names_the_scope_and_what_needs_it(
        emu: HubSpotEmulator, ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_token(emu, monkeypatch, "no-files", ALL_SCOPES - {"files"})
    emu.faults.inject("server_error", times=6, path="/access-token-info")  # HubSpot cannot say: learn from a 403
    with pytest.raises(AuthError) as refused:
        Engine(ws).plan()
    assert "lacks the scope crmconf needs here: `files` (reading crmconf's managed record" in str(refused.value)
    assert emu.requests.matching("GET", "/files/v3/files/stat/crmconf%2Fcrmconf-hubspot-prod-managed.json") == 1


def test_the_access_report_lists_files_for_plan_and_apply(emu: HubSpotEmulator, ws: Path,
                                                          monkeypatch: pytest.MonkeyPatch, cli: CLI) -> None:
    use_token(emu, monkeypatch, "no-files", ALL_SCOPES - {"files"})
    ran = cli("providers", "-w", ws, "--target", TARGET, "--format", "json")
    assert ran.code == 1
    rows = {(r["permission"], r["needed_for"]): r for r in json.loads(ran.out)["access"]}
    assert rows[("files", "plan")] == {"permission": "files", "needed_for": "plan", "granted": False,
                                       "concern": "reading crmconf's managed record, a private file in the file "
                                                  "manager every plan reads"}
    assert rows[("files", "apply")]["concern"] == "writing the managed record and the apply lock"
    text = cli("providers", "-w", ws, "--target", TARGET)
    assert "files" in text.out and "writing the managed record and the apply lock" in text.out
