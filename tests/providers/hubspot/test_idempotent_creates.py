"""Creates are idempotent: an object crmconf is about to create that exists already with crmconf's identity
is adopted, never duplicated (the reported failure: two applies against one portal made the same workflow
twice, both enabled). Two plans are made before either applies, then both apply, as two runners without
the apply lock would: everything the second one creates is already there."""

from __future__ import annotations

from pathlib import Path

from crmconf.engine.apply import Report, apply_plan, verify
from crmconf.engine.changes import Action, Plan
from crmconf.engine.journal import Journal
from crmconf.engine.plan import kinds_of, make_plan
from crmconf.providers import Provider, opened
from crmconf.validation import require_valid
from tests.emulators.hubspot import HubSpotEmulator
from tests.providers.hubspot.conftest import TARGET, TODAY, Engine, duplicates, edit, failures


def planned(root: Path) -> tuple[Plan, Provider, object]:
    ws = require_valid(root, TODAY)
    context = opened(ws.spec, ws.sources, root, TARGET)
    name, provider = context.__enter__()
    plan, compiled, _ = make_plan(ws, name, provider)
    return plan, provider, (context, compiled)


def apply(root: Path, plan: Plan, provider: Provider, held: object) -> Report:
    context, compiled = held  # type: ignore[misc]
    try:
        report = apply_plan(plan, provider, Journal(root / ".crmconf" / "journal.jsonl", root=root))
        return verify(report, provider.fetch(kinds_of(compiled, provider)))
    finally:
        context.__exit__(None, None, None)


def test_a_second_apply_of_the_same_creates_adopts_everything(emu: HubSpotEmulator, ws: Path) -> None:
    first, first_provider, first_held = planned(ws)
    second, second_provider, second_held = planned(ws)  # made before the first applies: it sees none of it
    creates = {c.address for c in second.changes if c.action is Action.CREATE}
    assert {"pipeline.new_business", "automation.stalled_deal_alert", "field.deal.arr"} <= creates
    assert not failures(apply(ws, first, first_provider, first_held))
    flow_posts = emu.requests.counts[("POST", "/automation/v4/flows")]  # creates (not batch reads)

    report = apply(ws, second, second_provider, second_held)
    assert not failures(report) and not report.unverified
    assert not duplicates(emu), duplicates(emu)
    assert emu.requests.counts[("POST", "/automation/v4/flows")] == flow_posts  # found by name: none sent again
    assert len([f for f in emu.flows() if f["name"].startswith("[crmconf]")]) == 3
    assert Engine(ws).plan().changes == ()


def test_an_adopted_workflow_that_differs_is_brought_to_the_spec(emu: HubSpotEmulator, ws: Path) -> None:
    stale, provider, held = planned(ws)  # plans to create the crmconf workflows
    Engine(ws).apply()  # another run creates them first; then someone edits one in HubSpot
    [flow] = [f for f in emu.flows() if f["name"] == "[crmconf] stalled_deal_alert"]
    emu.portal.replace_flow(flow["id"], {**{k: v for k, v in flow.items() if k not in (
        "objectTypeId", "flowType", "dataSources", "createdAt", "updatedAt", "id", "uuid")}, "isEnabled": False})
    report = apply(ws, stale, provider, held)
    assert not failures(report) and not duplicates(emu)
    assert next(f for f in emu.flows() if f["id"] == flow["id"])["isEnabled"] is True  # the spec says active
    assert Engine(ws).plan().changes == ()


def test_a_stage_made_since_the_plan_is_adopted(emu: HubSpotEmulator, ws: Path, engine: Engine) -> None:
    engine.apply()
    edit(ws / "pipelines" / "support.yaml", "      - name: resolved\n",
         "      - name: on_hold\n        label: On Hold\n\n      - name: resolved\n")
    stale, provider, held = planned(ws)
    assert [c.address for c in stale.changes if c.action is Action.CREATE] == ["pipeline.support.stage.on_hold"]
    engine.apply()  # another run adds it first
    report = apply(ws, stale, provider, held)
    assert not failures(report) and not duplicates(emu) and engine.plan().changes == ()
