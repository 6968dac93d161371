"""The example workspace, the published schemas and the reference docs stay true to the language."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel
from ruamel.yaml import YAML

from crmconf.cli import run
from crmconf.spec import model
from crmconf.spec.standard import STANDARD_FIELDS

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
SCHEMA_DIR = ROOT / "schema"
REFERENCE = ROOT / "docs" / "spec-reference.md"
TODAY = "2026-11-23"
SPEC_FILES = sorted(p for p in SPECS.rglob("*") if p.suffix in (".yaml", ".yml"))


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRMCONF_TODAY", TODAY)
    monkeypatch.setenv("NO_COLOR", "1")


def _validate(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = run(["validate", str(root), "--format", "json", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, json.loads(out)


def _iso(value: Any) -> Any:
    """YAML dates become ISO strings, as JSON (and so JSON Schema) sees them."""
    if isinstance(value, dict):
        return {str(k): _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _schema(kind: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))


def _schema_errors(path: Path) -> list[str]:
    kind = "config" if path.name in ("crmconf.yaml", "crmconf.yml") else "spec"
    data = _iso(YAML(typ="safe").load(path.read_text(encoding="utf-8")))
    validator = jsonschema.Draft202012Validator(_schema(kind))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


# --- the example workspace ------------------------------------------------------------------------


def test_specs_validate_strict(capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = _validate(SPECS, capsys, "--strict")
    assert payload["diagnostics"] == []
    assert payload["valid"] is True
    assert code == 0


def test_specs_cover_the_brief(capsys: pytest.CaptureFixture[str]) -> None:
    """The example is meant to be realistic and complete, not just valid."""
    from crmconf.spec.workspace import load_workspace

    spec = load_workspace(SPECS).spec
    assert spec is not None
    assert sum(len(fs) for fs in spec.fields.values()) >= 28
    assert {p.name for p in spec.pipelines} >= {"new_business", "renewals", "support", "lifecycle"}
    for pipeline in spec.pipelines:
        for stage in pipeline.stages:
            assert stage.exit_criteria and stage.owner_team, f"{pipeline.name}.{stage.name}"
    terms = {t.term.lower() for t in spec.terminology}
    assert terms >= {"lead", "contact", "mql", "sql", "deal", "account", "customer", "churn"}
    assert len(spec.automations) >= 6
    assert all(a.owner and a.purpose and a.reviewed and a.team for a in spec.automations)
    assert {p.name for p in spec.permissions} == {"sales_rep", "sales_manager", "customer_success"}


@pytest.mark.parametrize("path", SPEC_FILES, ids=[p.relative_to(SPECS).as_posix() for p in SPEC_FILES])
def test_spec_file_matches_published_schema(path: Path) -> None:
    assert _schema_errors(path) == []


@pytest.mark.parametrize("path", SPEC_FILES, ids=[p.relative_to(SPECS).as_posix() for p in SPEC_FILES])
def test_spec_file_has_schema_modeline(path: Path) -> None:
    kind = "config" if path.name == "crmconf.yaml" else "spec"
    target = (path.parent / _modeline(path)).resolve()
    assert target == (SCHEMA_DIR / f"{kind}.schema.json").resolve()


def _modeline(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, f"{path}: first line is not a yaml-language-server modeline: {first!r}"
    return match.group(1)


def test_glossary_lint_is_live_on_the_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The lifecycle stage is labelled "Open Deal" because the glossary avoids "Opportunity"."""
    copy = tmp_path / "specs"
    shutil.copytree(SPECS, copy)
    lifecycle = copy / "pipelines" / "lifecycle.yaml"
    lifecycle.write_text(
        lifecycle.read_text(encoding="utf-8").replace("label: Open Deal", "label: Opportunity")
    )
    code, payload = _validate(copy, capsys, "--strict")
    assert code == 1
    assert [(d["code"], d["file"]) for d in payload["diagnostics"]] == [("T401", "pipelines/lifecycle.yaml")]


# --- the published schemas ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["config", "spec"])
def test_committed_schema_is_current(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert run(["schema", "--kind", kind]) == 0
    generated = capsys.readouterr().out
    committed = (SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8")
    assert committed == generated, f"schema/{kind}.schema.json is stale: run `crmconf schema --out schema`"


# --- the reference ---------------------------------------------------------------------------------


def _models() -> list[type[BaseModel]]:
    return [
        cls
        for _, cls in inspect.getmembers(model, inspect.isclass)
        if issubclass(cls, BaseModel) and cls.__module__ == model.__name__
    ]


def _documented(word: str, text: str) -> bool:
    """Mentioned as code (`word`) or as a YAML key (word:), not merely as a word in prose."""
    return bool(re.search(rf"`{re.escape(word)}`|(?<![\w-]){re.escape(word)}:", text))


def test_reference_documents_every_model_field() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    missing = sorted(
        f"{cls.__name__}.{name}"
        for cls in _models()
        for name, info in cls.model_fields.items()
        if not _documented(info.alias or name, text)
    )
    assert not missing, f"docs/spec-reference.md does not document: {missing}"


def test_reference_documents_every_choice() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    words = [
        *model.OBJECTS,
        *model.SECTIONS,
        *model.TRIGGERS,
        *model.ACTIONS,
        *model.FieldType.__args__,
        *model.ObjectAccess.__args__,
        *model.FieldAccess.__args__,
        *model.Outcome.__args__,
        *model.ForecastCategory.__args__,
        *model.Verdict.__args__,
        *model.PrunableKind.__args__,
    ]
    missing = [
        w
        for w in words
        if f"`{w}`" not in text and not re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)
    ]
    assert not missing, f"docs/spec-reference.md does not mention: {missing}"


def test_reference_lists_standard_fields() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    for obj, fields in STANDARD_FIELDS.items():
        row = next(
            (line for line in text.splitlines() if line.startswith(f"| `{obj}` |") and "(" in line), ""
        )
        missing = [f for f, t in fields.items() if f"`{f}` ({t})" not in row]
        assert not missing, f"standard fields of {obj} missing from the reference: {missing}"


def test_reference_lists_every_diagnostic_code() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    sources = [*(ROOT / "crmconf").rglob("*.py"), *(ROOT / "providers").rglob("*.py")]
    codes = {c for p in sources for c in re.findall(r"\"([LSRTIP][0-9]{3})\"", p.read_text(encoding="utf-8"))}
    missing = sorted(c for c in codes if not re.search(rf"^\| {c} \|", text, re.MULTILINE))
    assert not missing, f"diagnostic codes without a row in the reference's tables: {missing}"


# --- crmconf init -----------------------------------------------------------------------------------


def test_init_workspace_validates_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "fresh"
    assert run(["init", str(root)]) == 0
    code, payload = _validate(root, capsys, "--strict")
    assert payload["diagnostics"] == []
    assert code == 0


def test_init_workspace_matches_published_schema(tmp_path: Path) -> None:
    """The starter files carry a schema modeline, so they must satisfy that schema in an editor too."""
    root = tmp_path / "fresh"
    assert run(["init", str(root)]) == 0
    errors = {p.name: _schema_errors(p) for p in sorted(root.glob("*.yaml"))}
    assert {name: e for name, e in errors.items() if e} == {}
