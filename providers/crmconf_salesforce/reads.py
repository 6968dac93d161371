"""The reads of one Salesforce fetch after the first round, concurrently, each kind on its own Reader.

fetch.py sends the first round (the Composite Batch requests and the listMetadata call, at once),
then every kind's own reads depend only on that round, not on each other: the custom fields read in
depth (then who uses the fields a plan may delete or retype), the processes and the standard value
sets (with crmconf's validation rules alongside), the flows, the legacy workflow rules. They run
concurrently, each kind on a fresh `Reader` (the same client, the same spec hints), and their live
objects are added to the fetch's Reader in the fixed order of the kinds, whatever finished first,
so the snapshot is the same on every run. A plan waits for the longest chain (first round, the
fields read in depth, who uses them), not for every request in turn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crmconf.engine import pool
from crmconf.engine.resource import LiveObject
from crmconf_salesforce.fetch_pipelines import PipelineRead, own_rules, read_pipelines, read_rules
from crmconf_salesforce.references import read_uses

if TYPE_CHECKING:
    from crmconf_salesforce.fetch import Reader

PIPELINE_KINDS = frozenset({"pipeline", "stage", "validation_rule"})


@dataclass
class Kinds:
    """What each kind's reads found, to be added to the fetch's Reader in order."""

    fields: Reader | None = None
    uses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # field id -> its users
    pipelines: PipelineRead | None = None
    rules: list[LiveObject] = field(default_factory=list)
    flows: Reader | None = None
    workflow_rules: Reader | None = None
    permissions: Reader | None = None


def read_kinds(reader: Reader, kinds: frozenset[str], results: Mapping[str, Any],
               listed: Mapping[str, list[dict[str, Any]]],
               marked: Callable[[list[dict[str, Any]]], dict[str, dict[str, Any]]]) -> Kinds:
    """Every kind's reads, concurrently (see the module docstring). `marked`: read-only marks by name."""
    out = Kinds()
    client, workers = reader.client, reader.client.settings.read_concurrency

    def fork() -> Reader:
        return type(reader)(client, reader.state)

    def fields() -> None:
        out.fields = fork()
        out.fields._fields(results, listed.get("CustomField", []))
        if out.fields.field_ids:
            out.uses = read_uses(client, out.fields.field_ids)

    def pipelines() -> None:
        rules = listed.get("ValidationRule", [])
        wanted = "validation_rule" in kinds
        # The processes never depend on the rules: crmconf's rules are read alongside.
        out.pipelines, found = pool.together(
            lambda: read_pipelines(client, reader.state, results, set()),  # nothing else is named `pipeline.*`
            lambda: client.md_read("ValidationRule", own_rules(rules)) if wanted else [], workers=workers)
        if wanted:
            out.rules = read_rules(client, rules, out.pipelines, marked(rules), components=found)

    def flows() -> None:
        out.flows = fork()
        out.flows._flows(results)

    def workflow_rules() -> None:
        out.workflow_rules = fork()
        out.workflow_rules._workflow_rules(listed)

    def permissions() -> None:
        out.permissions = fork()
        out.permissions._permissions(results)

    calls = ([fields] if "field" in kinds else []) + ([pipelines] if kinds & PIPELINE_KINDS else []) + (
        [flows, workflow_rules] if "automation" in kinds else []) + ([permissions] if "permission" in kinds else [])
    pool.run(calls, workers)
    return out
