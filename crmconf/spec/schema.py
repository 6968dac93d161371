"""The published JSON Schemas, generated from the models (editors autocomplete specs with them)."""

from __future__ import annotations

import json
from typing import Any

from crmconf.spec.model import ConfigFile, SectionFile

SCHEMA_ID = "https://crmconf.dev/schema/v1"
KINDS: dict[str, type[SectionFile]] = {"config": ConfigFile, "spec": SectionFile}


def schema(kind: str) -> dict[str, Any]:
    model = KINDS[kind]
    generated = model.model_json_schema(mode="validation")
    title = "crmconf workspace settings (crmconf.yaml)" if kind == "config" else "crmconf spec file"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_ID}/{kind}.schema.json",
        **{k: v for k, v in generated.items() if k != "title"},
        "title": title,
    }


def schema_text(kind: str) -> str:
    return json.dumps(schema(kind), indent=2, sort_keys=True) + "\n"
