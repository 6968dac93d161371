"""Verified, not assumed: every Salesforce create is an upsert keyed by full name, so applying the same
creates twice (two plans made before either applies, as two runners without the apply lock would) adds
nothing: no second component, record type, flow or flow version, and the plan after it is empty."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from crmconf.engine.apply import apply_plan, verify
from crmconf.engine.changes import Action
from crmconf.engine.journal import Journal
from crmconf.engine.plan import kinds_of
from tests.emulators.salesforce import SalesforceEmulator
from tests.providers.salesforce.conftest import converging_specs, make_plan, provider_for

TYPES = ("CustomField", "ValidationRule", "BusinessProcess", "RecordType", "Flow", "PermissionSet",
         "StandardValueSet")


def census(emu: SalesforceEmulator) -> dict[str, object]:
    """What the org holds: component names per type (case-folded, as Salesforce compares them), record types,
    and each flow's versions."""
    with emu.org.lock:
        versions = {name: len(flow.versions) for name, flow in emu.org.flows.items()}
    return {
        **{t: sorted(n.lower() for n in emu.metadata(t)) for t in TYPES},
        "record types": sorted(r["DeveloperName"] for r in emu.records("RecordType")),
        "flow versions": versions,
    }


def test_the_same_creates_applied_twice_add_nothing(emu: SalesforceEmulator, tmp_path: Path) -> None:
    root = converging_specs(tmp_path / "ws", emu)
    first, second = provider_for(emu, root), provider_for(emu, root)
    plan_a, compiled = make_plan(first, root)
    plan_b, _ = make_plan(second, root)  # made before the first applies: it sees none of it
    creates = Counter(c.kind for c in plan_b.changes if c.action is Action.CREATE)
    assert {"field", "pipeline", "stage", "validation_rule", "automation"} <= set(creates), creates

    report = apply_plan(plan_a, first, Journal(root / ".crmconf" / "a.jsonl"))
    assert all(r.outcome.value == "applied" for r in report.results)
    after_first = census(emu)
    for kind, names in after_first.items():
        if isinstance(names, list):
            assert len(names) == len(set(names)), kind

    again = apply_plan(plan_b, second, Journal(root / ".crmconf" / "b.jsonl"))
    assert all(r.outcome.value == "applied" for r in again.results), [
        (r.change.address, r.detail) for r in again.results if r.outcome.value != "applied"]
    assert not verify(again, second.fetch(kinds_of(compiled, second))).unverified
    assert census(emu) == after_first  # upserts by full name: nothing new, not even a flow version
    assert make_plan(provider_for(emu, root), root)[0].changes == ()
