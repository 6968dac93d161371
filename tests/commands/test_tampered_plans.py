"""A saved plan cannot be tampered into harm: every edit is refused, or still needs --allow-destroy.

Each case edits a real saved plan the way an attacker or a careless hand would. Cases marked `resealed`
also recompute the integrity digest (anyone who can write the file can), so they prove the checks
behind the digest: the changes are recomputed and must match, and destructiveness is judged from the
changes. Whatever happens, the org file is left byte for byte as it was.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crmconf.engine.apply import refuse_destroy
from crmconf.engine.changes import Action, Change, Plan
from crmconf.engine.saved import seal
from crmconf.errors import DestroyRefusedError
from tests.conftest import CLI

Edit = Callable[[dict[str, Any]], None]


def org_file(root: Path) -> Path:
    return root / ".crmconf" / "local-org.json"


@pytest.fixture
def destructive_plan(cli: CLI, workspace: Path, tmp_path: Path) -> Path:
    """A plan that updates a label (harmless) and deletes a stage holding 2 deals (destructive)."""
    assert cli("apply", "-w", workspace, "--auto-approve").code == 0
    org = json.loads(org_file(workspace).read_text())
    org["records"] = {"deal": [{"id": f"d{i}", "pipeline": "new_business", "stage": "proposal"} for i in range(2)]}
    org_file(workspace).write_text(json.dumps(org))
    fields = workspace / "fields.yaml"
    fields.write_text(fields.read_text().replace("label: Amount", "label: Deal Amount"))
    pipelines = workspace / "pipelines.yaml"
    text = pipelines.read_text()
    text = text.replace("      - {name: proposal, label: Proposal Sent, probability: 60, require: [amount, close_date]}\n", "")
    pipelines.write_text(text + "    migrate_to: {proposal: discovery}\n")
    (workspace / "automations.yaml").unlink()  # it triggers on the removed stage
    planfile = tmp_path / "plan.json"
    assert cli("plan", workspace, "--out", planfile).code == 0
    return planfile


def _change(data: dict[str, Any], address_part: str) -> dict[str, Any]:
    return next(c for c in data["changes"] if address_part in c["address"])


def _inject_delete(data: dict[str, Any]) -> None:
    victim = copy.deepcopy(_change(data, "field.deal.amount"))
    victim.update(address="field.deal.lead_source", action="delete", after=None, destructive=False, impact="")
    data["changes"].append(victim)


def _unflag(data: dict[str, Any]) -> None:
    entry = _change(data, "stage.proposal")
    entry["destructive"], entry["impact"] = False, "no records are affected"


def _set(key: str, value: Any) -> Edit:
    return lambda data: data.__setitem__(key, value)


def _on_delete(key: str, value: Any) -> Edit:
    return lambda data: _change(data, "stage.proposal").__setitem__(key, value)


def _deep(data: dict[str, Any]) -> None:
    _change(data, "stage.proposal")["meta"] = json.loads("[" * 900 + "]" * 900)


@dataclass(frozen=True)
class Case:
    name: str
    edit: Edit
    resealed: bool
    error: str  # the error code the refusal carries


CASES = [
    Case("delete marked non-destructive", _unflag, False, "E404"),
    Case("delete marked non-destructive, resealed", _unflag, True, "E404"),
    Case("injected delete", _inject_delete, False, "E404"),
    Case("injected delete, resealed", _inject_delete, True, "E404"),
    Case("update turned into a delete, resealed",
         lambda d: _change(d, "field.deal.amount").update(action="delete", after=None), True, "E404"),
    Case("destructive change dropped, resealed",
         lambda d: d.__setitem__("changes", [c for c in d["changes"] if not c["destructive"]]), True, "E404"),
    Case("changes reordered, resealed", lambda d: d["changes"].reverse(), True, "E404"),
    Case("desired label edited, resealed",
         lambda d: _change(d, "field.deal.amount")["after"].__setitem__("label", "Pwned"), True, "E404"),
    Case("records sent elsewhere, resealed", _on_delete("migrate_to", "pipeline.new_business.stage.closed_lost"),
         True, "E404"),
    Case("impact rewritten, resealed", _on_delete("impact", "nothing at all"), True, "E404"),
    Case("vendor ids edited, resealed", _on_delete("meta", {"id": "someone-else"}), True, "E404"),
    Case("a change duplicated, resealed", lambda d: d["changes"].append(d["changes"][0]), True, "E404"),
    Case("another crmconf version, resealed", _set("tool_version", "0.0.9"), True, "E404"),
    Case("another plan format, resealed", _set("format_version", 2), True, "E404"),
    Case("another workspace, resealed", _set("workspace", "/somewhere/else"), True, "E404"),
    Case("workspace binding removed, resealed", lambda d: d.pop("workspace"), True, "E404"),
    Case("integrity digest removed", lambda d: d.pop("integrity"), False, "E404"),
    Case("integrity digest forged", _set("integrity", "sha256:" + "0" * 64), False, "E404"),
    Case("another provider, resealed", _set("provider", "hubspot"), True, "E400"),
    Case("another target, resealed", _set("target", "prod"), True, "E001"),
    Case("spec digest edited, resealed", _set("spec_digest", "0" * 64), True, "E400"),
    Case("fingerprints edited, resealed",
         lambda d: d["fingerprints"].update(dict.fromkeys(d["fingerprints"], "-")), True, "E400"),
    Case("fingerprints dropped, injected delete, resealed",
         lambda d: (_inject_delete(d), d.__setitem__("fingerprints", {})), True, "E404"),
    Case("deeply nested vendor ids, resealed", _deep, True, "E001"),
]


def _contents(raw: bytes) -> dict[str, Any]:
    org: dict[str, Any] = json.loads(raw)
    org.pop("generation", None)
    return org


def _write(planfile: Path, data: dict[str, Any], resealed: bool) -> None:
    if resealed:
        data = seal({k: v for k, v in data.items() if k != "integrity"}, None)
    planfile.write_text(json.dumps(data, indent=2))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("allow_destroy", [False, True], ids=["", "allow-destroy"])
def test_a_tampered_plan_is_refused(
    cli: CLI, workspace: Path, destructive_plan: Path, case: Case, allow_destroy: bool
) -> None:
    data = json.loads(destructive_plan.read_text())
    case.edit(data)
    _write(destructive_plan, data, case.resealed)
    before = org_file(workspace).read_bytes()
    flags = ["--allow-destroy"] if allow_destroy else []
    ran = cli("apply", destructive_plan, "-w", workspace, *flags)
    assert ran.code == 1, ran.err
    assert f"error {case.error}" in ran.err, ran.err
    # The org is untouched (the apply lock it held for the run is gone again; the file may be re-serialised,
    # as a new generation of the org's log: crmconf_local/org.py).
    assert _contents(org_file(workspace).read_bytes()) == _contents(before)


@pytest.mark.parametrize("edit", [None, _set("summary", {"add": 0, "change": 0, "destroy": 0})],
                         ids=["untouched", "cosmetic edit, resealed"])
def test_an_honest_plan_still_needs_allow_destroy(
    cli: CLI, workspace: Path, destructive_plan: Path, edit: Edit | None
) -> None:
    """The untampered plan (or one whose only edit changes no change) applies, but only with the flag."""
    if edit is not None:
        data = json.loads(destructive_plan.read_text())
        edit(data)
        _write(destructive_plan, data, resealed=True)
    refused = cli("apply", destructive_plan, "-w", workspace)
    assert refused.code == 1 and "error E401" in refused.err and "2 record(s) move to" in refused.err
    assert cli("apply", destructive_plan, "-w", workspace, "--allow-destroy").code == 0
    org = json.loads(org_file(workspace).read_text())
    assert "pipeline.new_business.stage.proposal" not in org["objects"]
    assert {r["stage"] for r in org["records"]["deal"]} == {"discovery"}


def test_a_plan_copied_into_another_workspace_is_refused(
    cli: CLI, workspace: Path, destructive_plan: Path, tmp_path: Path
) -> None:
    twin = tmp_path / "twin"
    shutil.copytree(workspace, twin)  # same specs, same live org: only the place differs
    ran = cli("apply", destructive_plan, "-w", twin, "--allow-destroy")
    assert ran.code == 1 and "error E404" in ran.err and "was made in the workspace" in ran.err


def test_json_output_is_not_a_plan_file(cli: CLI, workspace: Path, tmp_path: Path) -> None:
    printed = tmp_path / "printed.json"
    printed.write_text(cli("plan", workspace, "--format", "json").out)
    ran = cli("apply", printed, "-w", workspace)
    assert ran.code == 1 and "no integrity digest" in ran.err


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"format_version": NaN}', "[" * 100_000, ""],
                         ids=["text", "array", "nan", "deep", "empty"])
def test_a_plan_file_that_is_no_plan_is_a_plain_error(cli: CLI, workspace: Path, tmp_path: Path, text: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    ran = cli("apply", bad, "-w", workspace)
    assert ran.code == 1 and "is not a crmconf plan file" in ran.err


@pytest.mark.parametrize("action", [Action.DELETE, Action.REPLACE])
def test_destructiveness_is_judged_from_the_change_not_its_flag(action: Action) -> None:
    forged = Change("field.deal.amount", "field", action, {"label": "A"}, None if action is Action.DELETE else {"label": "B"},
                    destructive=False, impact="")
    with pytest.raises(DestroyRefusedError):
        refuse_destroy(Plan("local", "local", (forged,)), allow_destroy=False)
