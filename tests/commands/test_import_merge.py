"""`crmconf import` into a curated workspace: it adds, in the right files, and never rewrites a byte of the rest."""

from __future__ import annotations

import difflib
import json
import shutil
from pathlib import Path
from typing import Any

from tests.conftest import CLI

REPO = Path(__file__).resolve().parents[2]
FIELD = {"label": None, "type": "text", "required": False, "help_text": None, "options": None, "format": None,
         "group": None, "unique": False}


def _by_hand(ws: Path, objects: dict[str, dict[str, Any]]) -> None:
    path = ws / ".crmconf" / "local-org.json"
    org = json.loads(path.read_text())
    org["objects"].update(objects)
    path.write_text(json.dumps(org))


def _field(label: str) -> dict[str, Any]:
    return {"kind": "field", "attrs": {**FIELD, "label": label}, "parent": None, "label": label}


def _partner_pipeline(require: list[str]) -> dict[str, dict[str, Any]]:
    stages = {"signed": ("Signed", 100, "won"), "dropped": ("Dropped", 0, "lost")}
    made = {"pipeline.partner": {"kind": "pipeline", "parent": None, "label": "Partner",
                                 "attrs": {"object": "deal", "label": "Partner", "description": None,
                                           "stages": list(stages)}}}
    for i, (name, (label, probability, outcome)) in enumerate(stages.items()):
        made[f"pipeline.partner.stage.{name}"] = {
            "kind": "stage", "parent": "pipeline.partner", "label": label,
            "attrs": {"label": label, "probability": probability, "outcome": outcome, "owner_team": None,
                      "exit_criteria": None, "require": require if i == 0 else [], "description": None,
                      "position": i}}
    return made


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.yaml")
            if ".crmconf" not in p.parts}


def _only_added(old: bytes, new: bytes) -> bool:
    ops = difflib.SequenceMatcher(a=old.decode().splitlines(), b=new.decode().splitlines(), autojunk=False)
    return all(tag in ("equal", "insert") for tag, *_ in ops.get_opcodes())


def test_import_into_a_curated_workspace_adds_and_keeps_every_byte(cli: CLI, tmp_path: Path) -> None:
    ws = tmp_path / "specs"
    shutil.copytree(REPO / "specs", ws, ignore=shutil.ignore_patterns(".crmconf"))
    assert cli("apply", "-w", ws, "--auto-approve").code == 0
    _by_hand(ws, {"field.deal.zi_score": _field("ZoomInfo Score"), "field.ticket.zi_topic": _field("Topic"),
                  **_partner_pipeline([])})
    before = _files(ws)
    ran = cli("import", "-w", ws)
    assert ran.code == 0, ran.err
    assert "imported 3 object(s)" in ran.err
    after = _files(ws)
    untouched = ["crmconf.yaml", "terminology.yaml", "automations.yaml", "permissions.yaml",
                 "fields/contact.yaml", "fields/company.yaml", "pipelines/new-business.yaml"]
    for name in untouched:
        assert after[name] == before[name], name  # byte for byte: owners, comments, formatting
    assert _only_added(before["fields/deal.yaml"], after["fields/deal.yaml"])
    assert "- name: zi_score" in after["fields/deal.yaml"].decode()
    assert set(after) - set(before) == {"fields/ticket.yaml", "pipelines/partner.yaml"}  # one item per file, as kept
    assert b"name: zi_topic" in after["fields/ticket.yaml"] and b"name: partner" in after["pipelines/partner.yaml"]
    assert cli("validate", "-w", ws).code == 0
    plan = cli("plan", "-w", ws, "--detailed-exitcode")
    assert plan.code == 0 and "+ 5 existing object(s) the spec declares are recorded as managed" in plan.out
    again = cli("import", "-w", ws)  # nothing left to add: it changes nothing
    assert again.code == 0 and "nothing to import" in again.err and _files(ws) == after


def test_an_import_that_would_not_validate_changes_nothing(cli: CLI, tmp_path: Path) -> None:
    ws = tmp_path / "specs"
    shutil.copytree(REPO / "specs", ws, ignore=shutil.ignore_patterns(".crmconf"))
    assert cli("apply", "-w", ws, "--auto-approve").code == 0
    _by_hand(ws, _partner_pipeline(["partner_tier"]))  # a stage requires a field the spec does not have
    before = _files(ws)
    ran = cli("import", "-w", ws, "--only", "pipeline.partner")
    assert ran.code == 1 and "R302" in ran.err and "nothing was changed" in ran.err
    assert _files(ws) == before


def test_import_only_refuses_what_is_not_there(cli: CLI, workspace: Path) -> None:
    assert cli("apply", "-w", workspace, "--auto-approve").code == 0
    missing = cli("import", "-w", workspace, "--only", "field.deal.nope")
    assert missing.code == 1 and "no such object in the live CRM" in missing.err
    stage = cli("import", "-w", workspace, "--only", "pipeline.new_business.stage.proposal")
    assert stage.code == 1 and "stages come with their pipeline" in stage.err
    declared = cli("import", "-w", workspace, "--only", "field.deal.amount")
    assert declared.code == 0 and "nothing to import" in declared.err
    forced = cli("import", "-w", workspace, "--force")
    assert "--force is no longer needed" in forced.err
