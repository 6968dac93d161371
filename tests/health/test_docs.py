"""docs/health.md says what `crmconf health` does: the catalogue, the options, the exit codes, the history file."""

from __future__ import annotations

import re
from pathlib import Path

from crmconf.commands import health as command
from crmconf.commands.health_cli import health as click_command
from crmconf.health import history
from crmconf.health.kpis import CATALOGUE
from crmconf.health.stages import DEFAULT_STALE
from crmconf.spec.model import Health

DOC = (Path(__file__).resolve().parents[2] / "docs" / "health.md").read_text(encoding="utf-8")


def test_the_catalogue_lists_every_kpi_with_its_title_and_default_target() -> None:
    rows = {m.group(2): m.group(0) for m in re.finditer(r"^\| (.+?) \(`(\w+)`\) \|.*$", DOC, re.M)}
    assert set(rows) == set(CATALOGUE)
    defaults = Health()
    for name, info in CATALOGUE.items():
        assert rows[name].startswith(f"| {info.title} ("), name
        target = str(getattr(defaults, name).target)
        assert target in rows[name].rsplit("|", 2)[1], (name, target)  # the last column: the default target


def test_the_stale_default_and_the_history_file_are_as_said() -> None:
    assert f"else {DEFAULT_STALE.days} days" in DOC
    assert f"`{history.FOLDER}/<target>.jsonl`" in DOC and "escalate_after`** (default 14 days)" in DOC
    assert Health().escalate_after == "14d"


def test_every_option_format_and_exit_code_is_documented() -> None:
    options = {o for p in click_command.params for o in p.opts if o.startswith("--")} - {"--workspace", "--help"}
    assert all(o in DOC for o in options), options - {o for o in options if o in DOC}
    assert all(f"`{f}`" in DOC for f in command.FORMATS)
    assert f"**{command.EXIT_FAILED}** when a KPI escalates" in DOC
    assert all(f"`--fail-on {f}`" in DOC for f in ("below", "never"))


def test_the_documented_examples_are_valid() -> None:
    """The `health` example of the spec reference is a valid section; the CI job of docs/health.md parses and
    runs `crmconf health` as documented."""
    from ruamel.yaml import YAML

    from crmconf.spec.model import SectionFile

    reference = (Path(__file__).resolve().parents[2] / "docs" / "spec-reference.md").read_text(encoding="utf-8")
    section = reference[reference.index("## 20. health"):]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example is not None
    parsed = SectionFile.model_validate(YAML(typ="safe").load(example.group(1)))
    assert parsed.health is not None and parsed.health.required_field_completion.escalate_after == "7d"
    job = re.search(r"```yaml\n(name: crmconf health.*?)```", DOC, re.S)
    assert job is not None
    steps = YAML(typ="safe").load(job.group(1))["jobs"]["health"]["steps"]
    runs = " ".join(str(s.get("run", "")) for s in steps)
    assert "crmconf health -w specs --target hubspot-prod --format markdown" in runs and "git add specs/health/" in runs
