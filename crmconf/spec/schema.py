"""The published JSON Schemas, generated from the models (editors autocomplete specs with them)."""

from __future__ import annotations

import json
from typing import Any

from crmconf.engine.formats import FORMATS
from crmconf.spec import keydocs
from crmconf.spec.model import ConfigFile, SectionFile

KINDS: dict[str, type[SectionFile]] = {"config": ConfigFile, "spec": SectionFile}  # what editors use
ALL = (*KINDS, *FORMATS)  # and the files crmconf writes for other programs


def schema(kind: str) -> dict[str, Any]:
    if kind in FORMATS:
        return format_schema(kind)
    model = KINDS[kind]
    generated = model.model_json_schema(mode="validation")
    title = "crmconf workspace settings (crmconf.yaml)" if kind == "config" else "crmconf spec file"
    document(generated, model.__name__)
    for name, definition in generated.get("$defs", {}).items():
        document(definition, name)
    # No `$id`: editors find the file by the path in a modeline (crmconf.spec.modeline), and a URL
    # nothing serves would only be a base for them to resolve references against.
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **{k: v for k, v in generated.items() if k != "title"},
        "title": title,
    }


def format_schema(kind: str) -> dict[str, Any]:
    """The schema of a file crmconf writes for programs: a saved plan, `plan --format json`, a journal line."""
    model = FORMATS[kind]
    generated = model.model_json_schema(mode="validation")
    titles = {"plan": "crmconf saved plan (crmconf plan --out)", "plan-json": "crmconf plan --format json",
              "journal": "one line of crmconf's apply journal (.crmconf/journal.jsonl)"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **{k: v for k, v in generated.items() if k != "title"},
        "title": titles[kind],
    }


def document(definition: dict[str, Any], model: str) -> None:
    """Each property of a model gets its description and an example (crmconf.spec.keydocs): what an
    editor shows on hover and offers on completion."""
    for key, prop in definition.get("properties", {}).items():
        found = keydocs.doc(model, key)
        if found is None:
            continue  # tests/spec/test_schema.py names every key left without one
        text, example = found
        prop["description"] = text
        prop["markdownDescription"] = f"{text}\n\n```yaml\n{key}: {_yaml(example)}\n```"
        prop["examples"] = [example]


def _yaml(value: Any) -> str:
    """An example as YAML flow style (JSON is YAML), one line."""
    return json.dumps(value, ensure_ascii=False)


def schema_text(kind: str) -> str:
    return json.dumps(schema(kind), indent=2, sort_keys=True) + "\n"
