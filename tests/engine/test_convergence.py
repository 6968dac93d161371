"""For any valid workspace, apply then plan is empty; and any org converges to any other workspace.

Workspaces are generated valid by construction (stage references, one won and one lost stage per
deal pipeline, unique names) and written as JSON, which is YAML.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmconf.engine.apply import apply_plan, refuse_destroy
from crmconf.engine.journal import Journal
from crmconf.engine.plan import make_plan
from crmconf.providers import opened
from crmconf.validation import require_valid

EXAMPLES = int(os.environ.get("CRMCONF_CONVERGENCE_EXAMPLES", "150"))
names = st.sampled_from(["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa"])
labels = st.sampled_from(["Alpha", "Beta", "Gamma", "Won", "Lost", "Review", "Trial"])
FIELD_TYPES = ["text", "number", "currency", "date", "picklist", "boolean"]


@st.composite
def fields(draw: st.DrawFn) -> list[dict[str, Any]]:
    chosen = draw(st.lists(names, unique=True, max_size=4))
    out = []
    for name in chosen:
        kind = draw(st.sampled_from(FIELD_TYPES))
        f: dict[str, Any] = {
            "name": f"f_{name}",
            "label": draw(labels),
            "type": kind,
            "required": draw(st.booleans()),
        }
        if kind == "picklist":
            f["options"] = draw(
                st.lists(st.sampled_from(["A", "B", "C", "D"]), unique=True, min_size=1, max_size=4)
            )
        out.append(f)
    return out


@st.composite
def pipeline(draw: st.DrawFn, name: str, deal_fields: list[str]) -> dict[str, Any]:
    middle = draw(st.lists(names, unique=True, max_size=3))
    stages = [
        {
            "name": f"s_{n}",
            "label": draw(labels),
            "probability": draw(st.integers(1, 99)),
            "require": draw(
                st.lists(st.sampled_from(["amount", "close_date", *deal_fields]), unique=True, max_size=2)
            ),
        }
        for n in middle
    ]
    stages += [
        {"name": "won", "label": "Won", "probability": 100, "outcome": "won"},
        {"name": "lost", "label": "Lost", "probability": 0, "outcome": "lost"},
    ]
    order = draw(st.permutations(stages))
    return {
        "name": name,
        "object": "deal",
        "label": draw(labels),
        "owners": draw(st.lists(st.sampled_from(["sales", "revops"]), unique=True)),
        "stages": list(order),
    }


@st.composite
def workspaces(draw: st.DrawFn) -> dict[str, Any]:
    deal_fields = draw(fields())
    pipelines = [
        draw(pipeline(f"p_{n}", [f["name"] for f in deal_fields]))
        for n in draw(st.lists(names, unique=True, max_size=2))
    ]
    automations = []
    for i, p in enumerate(pipelines):
        stage = draw(st.sampled_from(p["stages"]))["name"]
        automations.append(
            {
                "name": f"a_{i}",
                "object": "deal",
                "trigger": {"stage_entered": f"{p['name']}.{stage}"},
                "actions": [
                    {"create_task": {"subject": draw(labels), "due_in": f"{draw(st.integers(0, 9))}d"}}
                ],
                "owner": "owner@acme.example",
                "purpose": "p",
                "reviewed": "2026-11-01",
                "status": draw(st.sampled_from(["active", "inactive"])),
            }
        )
    permissions = [
        {
            "name": "rep",
            "label": draw(labels),
            "objects": {
                "deal": draw(st.lists(st.sampled_from(["read", "edit", "create"]), unique=True, min_size=1))
            },
            "fields": {f"deal.{f['name']}": draw(st.sampled_from(["read", "edit"])) for f in deal_fields[:2]},
        }
    ]
    terms = [{"term": draw(labels), "definition": "d", "owners": ["sales"]}] if draw(st.booleans()) else []
    return {
        "fields": {"deal": deal_fields},
        "pipelines": pipelines,
        "automations": automations,
        "permissions": permissions if draw(st.booleans()) else [],
        "terminology": terms,
    }


def _write(root: Path, sections: dict[str, Any]) -> None:
    for p in root.glob("*.yaml"):
        if p.name != "crmconf.yaml":
            p.unlink()
    (root / "spec.yaml").write_text(json.dumps({k: v for k, v in sections.items() if v}) or "{}")
    (root / "teams.yaml").write_text(json.dumps({"teams": [{"name": "sales"}, {"name": "revops"}]}))


def _apply_and_replan(root: Path) -> int:
    ws = require_valid(root, date(2026, 11, 23))
    with opened(ws.spec, ws.sources, root, None) as (name, provider):
        plan, _, _ = make_plan(ws, name, provider)
        assert not plan.errors, plan.errors
        refuse_destroy(plan, allow_destroy=True)
        report = apply_plan(plan, provider, Journal(root / ".crmconf" / "journal.jsonl"))
        assert report.ok, [r.detail for r in report.results if r.detail]
        again, _, _ = make_plan(ws, name, provider)
    return len(again.changes)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(workspaces(), workspaces())
def test_any_org_converges_to_any_workspace(first: dict[str, Any], second: dict[str, Any]) -> None:
    root = Path(tempfile.mkdtemp(prefix="crmconf-conv-"))
    try:
        (root / "crmconf.yaml").write_text("version: 1\n")
        _write(root, first)
        assert _apply_and_replan(root) == 0  # apply then plan is empty
        _write(root, {**second, "pipelines": second["pipelines"]})
        assert _apply_and_replan(root) == 0  # and from that org, to another workspace
    finally:
        shutil.rmtree(root)
