"""Data-driven diff cases: a spec's resources, a live snapshot, the expected changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from crmconf.engine.diff import diff
from crmconf.engine.resource import LiveObject, Resource, Snapshot

CASES = YAML(typ="safe").load(Path(__file__).with_name("diff_cases.yaml"))


def _resource(d: dict[str, Any]) -> Resource:
    return Resource(
        d["address"],
        d["kind"],
        d["attrs"],
        depends_on=tuple(d.get("depends_on", ())),
        parent=d.get("parent"),
        replace_on=tuple(d.get("replace_on", ())),
        migrations=d.get("migrations", {}),
    )


def _live(d: dict[str, Any]) -> LiveObject:
    return LiveObject(
        d["address"], d["kind"], d["attrs"], parent=d.get("parent"), usage=d.get("usage", {}), meta=d.get("meta", {})
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_diff_case(case: dict[str, Any]) -> None:
    live = {o["address"]: _live(o) for o in case["live"]}
    snapshot = Snapshot(live, frozenset())
    result = diff([_resource(r) for r in case["desired"]], snapshot, prune=frozenset(case.get("prune", ())),
                  protected=frozenset(case.get("protected", ())))

    got = [
        {
            "address": c.address,
            "action": c.action.value,
            "destructive": c.destructive,
            "migrate_to": c.migrate_to,
            "changed": [a.name for a in c.attrs],
            "impact": c.impact,
            "depends_on": list(c.depends_on),
        }
        for c in result.changes
    ]
    assert [g["address"] for g in got] == [e["address"] for e in case["expect"]]
    for g, e in zip(got, case["expect"], strict=True):
        assert g["action"] == e["action"], g["address"]
        assert g["destructive"] == e.get("destructive", False), g["address"]
        assert g["migrate_to"] == e.get("migrate_to"), g["address"]
        if "changed" in e:
            assert g["changed"] == e["changed"], g["address"]
        if "impact" in e:
            assert e["impact"] in g["impact"]
        if "depends_on" in e:
            assert g["depends_on"] == e["depends_on"], g["address"]
    assert [u.address for u in result.unmanaged] == case.get("unmanaged", [])
    assert [d.code for d in result.diagnostics] == case.get("errors", [])
