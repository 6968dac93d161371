"""Synthetic workspaces of any size, written as YAML text (fast, and exactly what a user would write)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

OBJECTS = ("deal", "contact", "company", "ticket", "lead")
TYPES = ("text", "number", "currency", "date", "picklist", "boolean", "textarea", "email", "url", "percent")

CONFIG = """\
version: 1
default_target: local
targets:
  local: {provider: local}
policies: {automation_review_every: 90d, require_automation_owner: true}
"""


def _field(i: int) -> str:
    kind = TYPES[i % len(TYPES)]
    options = ", options: [Alpha, Beta, Gamma, Delta]" if kind == "picklist" else ""
    return (
        f"    - {{name: f_{i}, label: Field {i}, type: {kind}, help_text: What field {i} records{options}}}\n"
    )


def generate(root: Path, *, fields: int, pipelines: int, automations: int, permissions: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "crmconf.yaml").write_text(CONFIG)
    (root / "teams.yaml").write_text("teams:\n  - {name: sales, members: [{email: maria@acme.example, github: maria}]}\n")
    (root / "terminology.yaml").write_text(
        "terminology:\n"
        "  - {term: Deal, definition: A qualified revenue opportunity., owners: [sales], avoid: [Opportunity, Opp]}\n"
        "  - {term: Account, definition: A company we sell to., owners: [sales], avoid: [Client]}\n"
    )
    per_object = max(1, fields // len(OBJECTS))
    for obj in OBJECTS:
        body = "".join(_field(i) for i in range(per_object))
        (root / f"fields-{obj}.yaml").write_text(f"fields:\n  {obj}:\n{body}")
    lines = ["pipelines:\n"]
    for p in range(pipelines):
        lines.append(
            f"  - name: p_{p}\n    object: deal\n    label: Pipeline {p}\n    owners: [sales]\n    stages:\n"
        )
        for s, prob in enumerate((10, 30, 60, 80)):
            lines.append(
                f"      - {{name: s_{s}, label: Stage {s}, probability: {prob}, owner_team: sales, "
                f"exit_criteria: Criteria {s}, require: [amount, f_{s * 10}]}}\n"
            )
        lines.append("      - {name: won, label: Won, probability: 100, outcome: won}\n")
        lines.append("      - {name: lost, label: Lost, probability: 0, outcome: lost}\n")
    (root / "pipelines.yaml").write_text("".join(lines))
    lines = ["automations:\n"]
    for a in range(automations):
        lines.append(
            f"  - name: a_{a}\n    object: deal\n    trigger: {{stage_entered: p_{a % max(pipelines, 1)}.s_1}}\n"
            f"    actions: [{{create_task: {{subject: Task {a}, due_in: 3d}}}}]\n"
            f"    owner: owner{a % 7}@acme.example\n    purpose: Purpose {a}\n    reviewed: 2026-10-01\n"
        )
    (root / "automations.yaml").write_text("".join(lines) if automations else "automations: []\n")
    lines = ["permissions:\n"]
    for s in range(permissions):
        fields_part = ", ".join(f"deal.f_{i}: edit" for i in range(s % 20, s % 20 + 20))
        lines.append(
            f"  - name: ps_{s}\n    label: Permission {s}\n    objects: {{deal: [read, edit], contact: [read]}}\n"
            f"    fields: {{{fields_part}}}\n"
        )
    (root / "permissions.yaml").write_text("".join(lines))
    return root


APPLY_TYPES = (("text", None), ("number", None), ("picklist", ["Alpha", "Beta", "Gamma"]), ("date", None))


def new_fields(count: int, objects: list[str], noun: str, *, lower_values: bool) -> dict[str, list[dict[str, Any]]]:
    """`count` new custom fields for an apply benchmark, spread evenly over `objects`, types in turn.
    (HubSpot option values are internal names, lower case by convention; Salesforce's are the labels.)"""
    fields: dict[str, list[dict[str, Any]]] = {}
    for i in range(count):
        kind, options = APPLY_TYPES[i % len(APPLY_TYPES)]
        item: dict[str, Any] = {"name": f"crmconf_new_{i:05d}", "label": f"New {noun} {i:05d}", "type": kind,
                                "help_text": f"What new {noun} {i} records"}
        if options:
            item["options"] = [{"value": o.lower() if lower_values else o, "label": o} for o in options]
        fields.setdefault(objects[i % len(objects)], []).append(item)
    return fields
