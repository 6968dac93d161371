"""Plans of specs/ against the seeded portal: names, usage, manual steps and live checks."""

from __future__ import annotations

from pathlib import Path

from crmconf.engine.changes import Action
from tests.emulators.hubspot import HubSpotEmulator
from tests.providers.hubspot.conftest import Engine, edit, make_workspace


def test_a_plan_reads_the_portal_in_a_handful_of_requests(emu: HubSpotEmulator, engine: Engine) -> None:
    plan = engine.plan()
    # The token's scopes, one property list per object the spec has fields on (3: no ticket fields) and,
    # as the spec declares fields these lists lack, its sensitive properties (3: they might be there),
    # the contacts' validation rules (phone format), deal and ticket pipelines, the contact lifecycle
    # pipeline, 1 flow page, 1 flow batch read, users, owners x2, teams (a round robin), roles, and one
    # search per field whose plan removes options (industry, tier, competitor); and one look for
    # crmconf's managed record (a private file; none yet, so nothing more to read).
    assert emu.requests.total == 18 + 3 + 1
    assert emu.requests.matching("GET", "/crm/v3/properties/tickets") == 0
    assert emu.requests.matching("GET", "/automation/v4/flows/1") == 0  # details come in one batch read
    actions = {c.address: c.action for c in plan.changes}
    assert actions["pipeline.new_business"] is Action.CREATE and actions["field.deal.arr"] is Action.CREATE
    assert actions["automation.1500003"] is Action.UPDATE  # the bound workflow's description
    assert {u.address for u in plan.unmanaged} >= {"pipeline.sales_pipeline", "pipeline.support_pipeline",
                                                   "field.contact.preferred_channel", "automation.1500001"}
    assert not any(u.address == "field.contact.email" for u in plan.unmanaged)  # HubSpot's own: not listed


def test_removing_options_in_use_is_destructive_with_counts(engine: Engine) -> None:
    changes = {c.address: c for c in engine.plan().changes}
    industry = changes["field.company.industry"]
    assert industry.destructive
    assert "'COMPUTER_SOFTWARE' is used by 1 record(s)" in industry.impact
    assert changes["field.deal.competitor"].impact == (
        "removes option 'globex' is used by 1 record(s); 'umbrella' is used by 1 record(s)")


def test_live_pipelines_are_matched_by_label_or_relabelled_by_name(emu: HubSpotEmulator, tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", emu)
    pipelines = root / "pipelines" / "new-business.yaml"
    # A spec pipeline whose *name* slugs the live label but whose label differs: a relabel.
    edit(pipelines, "  - name: new_business\n    object: deal\n    label: New Business",
         "  - name: sales_pipeline\n    object: deal\n    label: New Business")
    edit(root / "automations.yaml", "stage_entered: new_business.", "stage_entered: sales_pipeline.", count=2)
    edit(root / "automations.yaml", "pipeline: new_business}", "pipeline: sales_pipeline}")
    changes = {c.address: c for c in Engine(root).plan().changes}
    relabel = changes["pipeline.sales_pipeline"]
    assert relabel.action is Action.UPDATE and [a.name for a in relabel.attrs] == ["label"]
    assert relabel.meta["id"] == "default"
    # Its stages are matched by label ("Closed Won"), the rest are new or retired.
    assert changes["pipeline.sales_pipeline.stage.closed_won"].action is Action.UPDATE
    retired = changes["pipeline.sales_pipeline.stage.appointment_scheduled"]
    assert retired.action is Action.DELETE and retired.impact == "2 record(s) sit here and have nowhere to go"


def test_owners_must_be_active_users(emu: HubSpotEmulator, tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", emu)
    edit(root / "automations.yaml", "owner: maria.lopez@acme.example", "owner: pat.former@acme.example")
    edit(root / "automations.yaml", "owner: sam.okafor@acme.example", "owner: nobody@acme.example")
    errors = {d.message for d in Engine(root).plan().errors}
    assert "automation proposal_follow_up: owner pat.former@acme.example is deactivated in the live CRM" in errors
    assert "automation renewal_kickoff: owner nobody@acme.example is not a user in the live CRM" in errors


def test_permission_sets_are_checked_against_live_roles(emu: HubSpotEmulator, engine: Engine) -> None:
    assert not [d for d in engine.plan().diagnostics if d.code == "P302"]
    del emu.portal.roles["7003"]
    (missing,) = [d for d in engine.plan().diagnostics if d.code == "P302"]
    assert missing.message == "permission set customer_success: no role named 'Customer Success' exists in the live CRM"
    assert str(missing.location).startswith("permissions.yaml:")


def test_live_labels_are_linted_against_the_glossary(emu: HubSpotEmulator, engine: Engine) -> None:
    emu.portal.properties["contacts"]["preferred_channel"]["options"][0]["label"] = "Opportunity e-mail"
    lint = {d.message for d in engine.plan().diagnostics if d.code == "T402"}
    assert "live automation.1500006 is labelled 'Company tiering', which uses 'Company', a word the glossary " \
           "avoids" in lint
    assert any("field.contact.preferred_channel option 'email'" in m and "Opportunity" in m for m in lint)
