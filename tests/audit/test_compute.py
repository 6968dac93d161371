"""The pure audit: every verdict, from data (cases.yaml), with no workspace, provider or clock."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from crmconf.audit import AuditReport, AuditRow, Verdict, compute
from crmconf.audit.model import VERDICT_ORDER
from crmconf.audit.runs import RunCount, RunCounts
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


# ---- what the provider's run_counts hook says, and crmconf's own verified applies ----------------------

HOOKED = {"as_of": date(2026, 11, 23), "automations": [
    {"name": n, "owner": "maria@acme.example", "reviewed": "2026-11-01"} for n in ("idle", "broken", "hidden")]}
HOOKED_LIVE = {"automations": {f"automation.{n}": {"status": "active", "updated_at": None, "updated_by": None}
                               for n in ("idle", "broken", "hidden")}}


@pytest.mark.parametrize(("counts", "expect"), [
    # (runs, failed) per automation, or a reason it is unknown
    ({"idle": (0, None), "broken": (10, 5), "hidden": "no log"},
     {"idle": ["unused"], "broken": ["failing"], "hidden": ["ok"]}),
    # the vendor keeps no failures (HubSpot): never failing, never read as zero failures
    ({"idle": (3, None), "broken": (10, None), "hidden": (0, None)},
     {"idle": ["ok"], "broken": ["ok"], "hidden": ["unused"]}),
])
def test_run_counts_from_the_hook(counts: dict[str, Any], expect: dict[str, list[str]]) -> None:
    runs = RunCounts(counts={f"automation.{n}": RunCount(*c) for n, c in counts.items() if isinstance(c, tuple)},
                     unknown={f"automation.{n}": c for n, c in counts.items() if isinstance(c, str)})
    report = compute(spec_of(HOOKED), as_of=HOOKED["as_of"], snapshot=snapshot_of(HOOKED_LIVE), provider="local",
                     target="local", runs=runs, runs_days=90)
    rows = {r.name: r for r in report.rows}
    assert {n: [v.value for v in rows[n].verdicts] for n in expect} == expect
    for name, c in counts.items():
        assert (rows[name].runs, rows[name].failed_runs, rows[name].runs_unknown) == (
            (c[0], c[1], None) if isinstance(c, tuple) else (None, None, c))


def test_a_note_for_the_whole_target_leaves_every_run_unknown() -> None:
    runs = RunCounts(note="the integration user lacks View All Data")
    report = compute(spec_of(HOOKED), as_of=HOOKED["as_of"], snapshot=snapshot_of(HOOKED_LIVE), provider="local",
                     target="local", runs=runs, runs_days=90)
    assert report.runs_note == "the integration user lacks View All Data"
    assert all(r.runs is None and r.runs_unknown == runs.note and r.ok for r in report.rows)


@pytest.mark.parametrize(("binds", "updated_at", "verified_until", "changed"), [
    (False, "2026-11-20T10:00:00.400+00:00", "2026-11-20T10:00:00+00:00", False),  # crmconf's apply, same second
    (False, "2026-11-20T10:00:01+00:00", "2026-11-20T10:00:00+00:00", True),  # after the verified apply: by hand
    (False, "2026-11-20T10:00:00+00:00", None, True),  # no verified apply on record: nothing is excused
    (True, "2026-11-20T09:00:00+00:00", "2026-11-20T10:00:00+00:00", True),  # bound: crmconf compares too little
])
def test_what_a_verified_apply_left_is_not_a_change_since_review(
        binds: bool, updated_at: str, verified_until: str | None, changed: bool) -> None:
    automation: dict[str, Any] = {"name": "x", "owner": "maria@acme.example", "reviewed": "2026-11-01"}
    if binds:
        automation["binds"] = {"local": "x"}
    case = {"automations": [automation]}
    live = {"automations": {"automation.x": {"status": "active", "updated_at": updated_at, "updated_by": "Maria"}}}
    report = compute(spec_of(case), as_of=date(2026, 11, 23), snapshot=snapshot_of(live), provider="local",
                     target="local", verified_until=datetime.fromisoformat(verified_until) if verified_until else None)
    assert (Verdict.CHANGED in report.rows[0].verdicts) is changed
