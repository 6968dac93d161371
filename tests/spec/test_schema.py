"""The JSON Schemas editors use: every key described with an example that the key's own schema accepts,
generated from the models, committed current in schema/, and written by `init` where its modelines point."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from crmconf.spec import keydocs
from crmconf.spec.schema import ALL, KINDS, schema, schema_text
from tests.conftest import CLI

REPO = Path(__file__).resolve().parents[2]


def properties(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = [("(root)", k, v) for k, v in document.get("properties", {}).items()]
    for name, definition in document.get("$defs", {}).items():
        found += [(name, k, v) for k, v in definition.get("properties", {}).items()]
    return found


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_key_has_a_description_and_an_example_its_schema_accepts(kind: str) -> None:
    document = schema(kind)
    undocumented = [f"{m}.{k}" for m, k, p in properties(document) if not p.get("description") or not p.get("examples")]
    assert undocumented == [], f"add them to crmconf/spec/keydocs.py: {undocumented}"
    for model, key, prop in properties(document):
        check = {**prop, "$defs": document.get("$defs", {})}
        for example in prop["examples"]:
            jsonschema.Draft202012Validator(check).validate(example)  # raises, naming the key's path
        assert f"{key}: " in prop["markdownDescription"], (model, key)


def test_keydocs_names_only_keys_that_exist() -> None:
    names = {name for document in map(schema, KINDS) for name in [*document.get("$defs", {}), "ConfigFile", "SectionFile"]}
    assert set(keydocs.KEYS) <= names
    for kind in KINDS:
        for model, key, _ in properties(schema(kind)):
            assert keydocs.doc("ConfigFile" if model == "(root)" and kind == "config" else
                               "SectionFile" if model == "(root)" else model, key)


@pytest.mark.parametrize("kind", sorted(ALL))
def test_the_committed_schemas_are_current(kind: str) -> None:
    assert (REPO / "schema" / f"{kind}.schema.json").read_text(encoding="utf-8") == schema_text(kind), (
        "run `crmconf schema --out schema`")


def test_init_writes_the_schemas_its_modelines_point_at_and_a_gitignore(cli: CLI, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    assert cli("init", "-w", root).code == 0
    for path in root.glob("*.yaml"):
        line = path.read_text(encoding="utf-8").splitlines()[0]
        assert line.startswith("# yaml-language-server: $schema=.schema/")
        target = path.parent / line.split("$schema=")[1]
        assert json.loads(target.read_text(encoding="utf-8")) == schema(target.name.split(".")[0])
    ignore = (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".crmconf/" in ignore and "*.plan.json" in ignore
    (root / ".gitignore").write_text("node_modules/\n")
    assert cli("init", "-w", root, "--force").code == 0  # an existing .gitignore keeps its lines, gains ours
    ignore = (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ignore[0] == "node_modules/" and ".crmconf/" in ignore
    assert cli("init", "-w", root, "--force").code == 0
    assert (root / ".gitignore").read_text(encoding="utf-8").count(".crmconf/") == 1
