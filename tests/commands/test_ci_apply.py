"""The apply workflow of docs/ci.md ("Applying from CI: one apply at a time") parses and queues applies."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]


def apply_workflow() -> Any:
    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    section = text.split("## Applying from CI: one apply at a time", 1)[1]
    [block] = re.findall(r"```yaml\n(.*?)```", section, re.S)
    return YAML(typ="safe").load(block)


def test_the_apply_workflow_queues_applies_per_target_and_keeps_the_journal() -> None:
    workflow = apply_workflow()
    assert workflow["concurrency"] == {"group": "crmconf-apply-hubspot-prod", "cancel-in-progress": False}
    [job] = workflow["jobs"].values()
    runs = [str(s.get("run", "")) for s in job["steps"]]
    assert "crmconf apply -w specs --target hubspot-prod --auto-approve" in runs
    assert not any("--allow-destroy" in r for r in runs)  # destroying needs a person
    journal = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert journal["if"] == "always()" and journal["with"]["path"] == "specs/.crmconf/journal.jsonl"
