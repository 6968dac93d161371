"""`crmconf import` on the local provider: the imported workspace validates and plans empty."""

from __future__ import annotations

import shutil
from pathlib import Path

from crmconf.spec.checks.teams import owner_references
from crmconf.spec.workspace import load_workspace
from tests.conftest import CLI

REPO = Path(__file__).resolve().parents[2]


def test_import_then_plan_is_empty(cli: CLI, tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(REPO / "specs", source, ignore=shutil.ignore_patterns(".crmconf"))
    assert cli("apply", "-w", source, "--auto-approve").code == 0
    out = tmp_path / "imported"
    ran = cli("import", "-w", source, "--out", out)
    assert ran.code == 0, ran.err
    assert {p.name for p in out.glob("*.yaml")} == {
        "crmconf.yaml",
        "terminology.yaml",
        "fields.yaml",
        "pipelines.yaml",
        "automations.yaml",
        "teams.yaml",
    }  # no permissions.yaml: specs' local target leaves permission sets to people (settings.manual)
    # The live CRM knows owning teams by name only: each is declared, its members left to add.
    teams = load_workspace(out).spec
    assert teams is not None
    assert [t.name for t in teams.teams] == sorted({r[0] for r in owner_references(teams)})
    assert all(not t.members for t in teams.teams)
    (out / ".crmconf").mkdir()
    shutil.copyfile(source / ".crmconf" / "local-org.json", out / ".crmconf" / "local-org.json")
    assert cli("validate", out).code == 0
    assert cli("plan", out, "--detailed-exitcode").code == 0


def test_import_refuses_a_folder_of_yaml_that_is_not_a_workspace(cli: CLI, workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.yaml").write_text("fields: {}\n")
    ran = cli("import", "-w", workspace, "--out", out)
    assert ran.code == 1 and "no crmconf.yaml" in ran.err
    assert (out / "mine.yaml").read_text() == "fields: {}\n"
