"""Required-at-stage as Salesforce validation rules: names, formulas, messages, and reading them back.

A rule fires (blocks the save) when the record sits at the stage and a required field is empty:

    AND(ISPICKVAL(StageName, "Proposal Sent"), OR(ISBLANK(Amount), ISPICKVAL(Lead_Source__c, "")))

- picklists are tested with ISPICKVAL(field, "") (ISBLANK does not accept a picklist, and the
  ISBLANK(TEXT(...)) detour is needless);
- a checkbox is never blank, so "required" means ticked: NOT(field);
- everything else, multi-select picklists included, with ISBLANK(field).
Rule names are `crmconf_<pipeline>_<stage value>` (lower case, at most 40 characters), derived only
from things that survive an import (the pipeline's name and the stage's API value), so a workspace
made by `crmconf import` compiles the very same names.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from crmconf_salesforce.mapping import MAX_RULE_NAME, snake

PREFIX = "crmconf_"


@dataclass(frozen=True)
class Required:
    api: str  # the field's API name
    kind: str  # "picklist", "boolean" or "other"
    label: str  # what the error message calls it


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check(field: Required) -> str:
    if field.kind == "picklist":
        return f'ISPICKVAL({field.api}, "")'
    if field.kind == "boolean":
        return f"NOT({field.api})"
    return f"ISBLANK({field.api})"


def formula(stage_field: str, stage_value: str, fields: list[Required]) -> str:
    checks = [check(f) for f in fields]
    missing = checks[0] if len(checks) == 1 else "OR(" + ", ".join(checks) + ")"
    return f"AND(ISPICKVAL({stage_field}, {quote(stage_value)}), {missing})"


def message(stage_value: str, fields: list[Required]) -> str:
    names = ", ".join(f.label for f in fields)
    return f"{stage_value} needs {names}. Fill {'it' if len(fields) == 1 else 'them'} in before moving here."


def description(stage_value: str, process: str) -> str:
    return f"Managed by crmconf: the fields stage {stage_value!r} of {process} requires. Edit the spec, not this rule."


def rule_name(pipeline: str, stage_value: str) -> str:
    """`crmconf_new_business_proposal_sent`; long names keep a stable hash of the full one."""
    full = f"{PREFIX}{pipeline}_{snake(stage_value)}"
    full = re.sub(r"_+", "_", full).strip("_")
    if len(full) <= MAX_RULE_NAME:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:6]
    return full[: MAX_RULE_NAME - 7].rstrip("_") + "_" + digest


_RULE = re.compile(r'^AND\(ISPICKVAL\((\w+), "((?:[^"\\]|\\.)*)"\), (?:OR\((.*)\)|(.*))\)$', re.S)
_CHECK = re.compile(r'ISBLANK\((\w+)\)|ISPICKVAL\((\w+), ""\)|NOT\((\w+)\)')


def parse(text: str) -> tuple[str, str, list[str]] | None:
    """(stage field, stage value, required API names) of a formula `formula` made; None otherwise."""
    m = _RULE.match(text.strip())
    if not m:
        return None
    inner = m.group(3) if m.group(3) is not None else m.group(4)
    checks = list(_CHECK.finditer(inner))
    if ", ".join(c.group(0) for c in checks) != inner:
        return None  # not a formula crmconf writes
    fields = [next(g for g in c.groups() if g) for c in checks]
    value = re.sub(r"\\(.)", r"\1", m.group(2))
    return m.group(1), value, fields
