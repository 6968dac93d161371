"""The pure audit: every verdict, from data (cases.yaml), with no workspace, provider or clock."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from crmconf.audit import AuditReport, AuditRow, Verdict, compute
from crmconf.audit.model import VERDICT_ORDER
from crmconf.engine.resource import LiveObject, Snapshot
from crmconf.spec.model import Spec

CASES = YAML(typ="safe").load((Path(__file__).parent / "cases.yaml").read_text(encoding="utf-8"))
COMPILED = {
    "object": "deal",
    "trigger": {"record_created": {}},
    "actions": [{"create_task": {"subject": "Call"}}],
}


def spec_of(case: dict[str, Any]) -> Spec:
    automations = [a if "binds" in a else {**COMPILED, **a} for a in case["automations"]]
    config = {"version": 1, "policies": case.get("policies", {})}
    return Spec.model_validate({"config": config, "automations": automations})


def snapshot_of(live: dict[str, Any]) -> Snapshot:
    objects = {
        address: LiveObject(
            address,
            "automation",
            {"status": o["status"]},
            meta={"updated_at": o["updated_at"], "updated_by": o["updated_by"]},
            usage={k: o[k] for k in ("runs", "failed_runs") if k in o},
        )
        for address, o in (live.get("automations") or {}).items()
    }
    # A field next to the automations: the audit must only look at automations.
    objects["field.deal.amount"] = LiveObject("field.deal.amount", "field", {"label": "Amount"})
    return Snapshot(
        objects, frozenset({"automation"}), facts={"users": live["users"]} if "users" in live else {}
    )


def run_case(case: dict[str, Any]) -> AuditReport:
    live = case.get("live")
    snapshot = snapshot_of(live) if live is not None else None
    return compute(
        spec_of(case),
        as_of=case["as_of"],
        snapshot=snapshot,
        provider="local" if live is not None else None,
        target="local" if live is not None else None,
    )


def plain(row: AuditRow, key: str) -> Any:
    value = getattr(row, key)
    return value.value if hasattr(value, "value") else value


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    report = run_case(case)
    assert {r.name: [v.value for v in r.verdicts] for r in report.rows} == case["expect"]
    for name, fields in (case.get("fields") or {}).items():
        row = next(r for r in report.rows if r.name == name)
        assert {k: plain(row, k) for k in fields} == fields, name
    assert report.failed is case["failed"]
    if "findings" in case:
        assert [r.name for r in report.findings] == case["findings"]
    assert report.offline is ("live" not in case)


def test_the_cases_cover_every_verdict() -> None:
    seen = {v for case in CASES for verdicts in case["expect"].values() for v in verdicts}
    assert seen == {v.value for v in Verdict}


def test_counts_list_every_verdict_worst_first() -> None:
    case = next(c for c in CASES if c["id"].startswith("orphan"))
    counts = run_case(case).counts
    assert list(counts) == list(VERDICT_ORDER)
    assert counts[Verdict.ORPHAN] == 1 and counts[Verdict.OK] == 1 and counts[Verdict.MISSING] == 0


def test_rows_follow_the_inventory_then_orphans_by_address() -> None:
    case = {
        "as_of": date(2026, 11, 23),
        "automations": [
            {"name": "b", "owner": "x@acme.example", "reviewed": date(2026, 11, 1)},
            {"name": "a", "owner": "x@acme.example", "reviewed": date(2026, 11, 1)},
        ],
        "live": {
            "automations": {
                f"automation.{n}": {"status": "active", "updated_at": None, "updated_by": None}
                for n in ("z", "b", "y", "a")
            }
        },
    }
    assert [r.name for r in run_case(case).rows] == ["b", "a", "automation.y", "automation.z"]


def test_verdicts_match_the_policy_language() -> None:
    """`policies.audit_fail_on` uses the spec's Verdict literal; the enum must not drift from it."""
    from typing import get_args

    from crmconf.spec import model

    assert set(get_args(model.Verdict)) == {v.value for v in Verdict}
