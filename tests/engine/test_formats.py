"""The plan, `plan --format json` and journal formats as pydantic models (crmconf.engine.formats): what a
real plan and a real apply write fits them, schema/ publishes them, and a plan file from an older crmconf
or of another shape is refused with a message that says what to do."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from crmconf import __version__
from crmconf.engine.formats import JournalLine, PlanFile, PlanJson
from crmconf.engine.saved import seal
from tests.conftest import CLI

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def drifted(tmp_path: Path) -> Path:
    """The example over the demo's drifted org: creates, updates, a destructive delete, manual steps,
    an unmanaged object, the managed record."""
    root = tmp_path / "specs"
    shutil.copytree(REPO / "specs", root, ignore=shutil.ignore_patterns(".crmconf"))
    (root / ".crmconf").mkdir()
    shutil.copyfile(REPO / "demo" / "seed-org.json", root / ".crmconf" / "local-org.json")
    return root


def test_a_real_plan_fits_the_models(cli: CLI, drifted: Path, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    printed = cli("plan", "-w", drifted, "--format", "json", "--out", saved)
    assert printed.code == 0
    plan = PlanFile.model_validate_json(saved.read_text())
    assert {c.action for c in plan.changes} >= {"update", "delete"} and plan.manual_steps and plan.unmanaged
    assert plan.managed_record is not None and any(c.destructive for c in plan.changes)
    shown = PlanJson.model_validate_json(printed.out)
    assert [c.address for c in shown.changes] == [c.address for c in plan.changes]


def test_every_journal_line_of_a_real_apply_fits_the_model(cli: CLI, drifted: Path) -> None:
    assert cli("apply", "-w", drifted, "--auto-approve", "--allow-destroy").code == 0
    lines = (drifted / ".crmconf" / "journal.jsonl").read_text().splitlines()
    events = [JournalLine.model_validate_json(line).root.event for line in lines]
    assert events[0] == "begin" and "intent" in events and "change" in events and events[-1] == "end"


def old(data: dict[str, object]) -> dict[str, object]:
    return seal({k: v for k, v in data.items() if k != "integrity"}, None)


@pytest.mark.parametrize(("name", "edit", "says"), [
    ("format 0, from crmconf 0.0.9", lambda d: d.update(format_version=0, tool_version="0.0.9"),
     "is a plan of format 0; this crmconf reads 1"),
    ("an older crmconf, same format", lambda d: d.update(tool_version="0.0.9"),
     f"was made by crmconf '0.0.9', this is {__version__}: run `crmconf plan --out` again"),
    ("a pre-release shape: no fingerprints", lambda d: d.pop("fingerprints"),
     "is not a crmconf plan file of format 1: fingerprints: Field required; make a new plan"),
    ("a pre-release shape: changes named differently", lambda d: d.update(resources=d.pop("changes")),
     "is not a crmconf plan file of format 1: changes: Field required (and 1 more)"),
    ("an action this format has not", lambda d: d["changes"][0].update(action="recreate"),
     "is not a crmconf plan file of format 1: changes.0.action: Input should be"),
])
def test_an_old_plan_file_is_refused_clearly(cli: CLI, drifted: Path, tmp_path: Path, name: str,
                                             edit: object, says: str) -> None:
    saved = tmp_path / "plan.json"
    assert cli("plan", "-w", drifted, "--out", saved).code == 0
    data = json.loads(saved.read_text())
    edit(data)  # type: ignore[operator]
    saved.write_text(json.dumps(old(data)))
    before = (drifted / ".crmconf" / "local-org.json").read_bytes()
    for args in (["show", saved], ["apply", saved, "--allow-destroy"]):
        ran = cli(*args)
        assert ran.code == 1 and says in ran.err, (name, ran.err)
        assert "Traceback" not in ran.err
    assert (drifted / ".crmconf" / "local-org.json").read_bytes() == before
