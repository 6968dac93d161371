"""The files crmconf writes for other programs, as pydantic models: their shape is checked on the way
in and published as JSON Schemas in schema/ (`crmconf schema --kind plan|plan-json|journal`), as
Terraform documents the JSON of `terraform show -json`.

- `PlanFile`: a saved plan (`crmconf plan --out`), sealed by crmconf.engine.saved (its integrity digest
  and workspace binding are checked before this shape is);
- `PlanJson`: what `crmconf plan --format json` prints (the saved format, plus `actions` per change,
  `has_changes` and `needs_signoff`, without the seal);
- `JournalRecord`: one line of `.crmconf/journal.jsonl`, the write-ahead journal of applies
  (crmconf.engine.journal writes it, crmconf.engine.recovery reads it back).

The writers build these shapes; tests hold every file a real plan and a real apply write to them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

from crmconf.errors import UsageError

JSON = Any


class _Format(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Location(_Format):
    """Where in the spec an item comes from (1-based line and column)."""

    file: str
    line: int
    column: int


class ChangeRecord(_Format):
    """One change of a plan: what is created, updated, deleted or replaced, and why."""

    address: str = Field(description="The object, e.g. `pipeline.new_business.stage.discovery`.")
    kind: str = Field(description="field, pipeline, stage, automation, permission, term, option...")
    action: Literal["create", "update", "delete", "replace"]
    before: dict[str, JSON] | None = Field(description="The live managed attributes (null on create).")
    after: dict[str, JSON] | None = Field(description="The desired attributes (null on delete).")
    changed: list[str] = Field(default_factory=list, description="The attributes an update changes.")
    source: Location | None = Field(default=None, description="The spec line that asks for it.")
    destructive: bool = False
    impact: str = Field(default="", description="What a destructive change does to data, in words.")
    depends_on: list[str] = Field(default_factory=list)
    owners: list[str] = Field(default_factory=list, description="Teams whose sign-off it needs.")
    parent: str | None = None
    migrate_to: str | None = Field(default=None, description="Where a removed stage's records go.")
    meta: dict[str, JSON] = Field(default_factory=dict, description="Live vendor ids.")
    label: str = ""


class ChangeJson(ChangeRecord):
    actions: list[Literal["create", "update", "delete"]] = Field(
        description="The action as Terraform's JSON plan spells it: replace is [delete, create]."
    )


class ManualStepRecord(_Format):
    """What a vendor's API cannot do, for a person to do, and whether it is done."""

    id: str = ""
    address: str
    topic: str = ""
    title: str
    instructions: str
    source: Location | None = None
    owners: list[str] = Field(default_factory=list)
    check: dict[str, JSON] | None = None
    digest: str = ""
    status: Literal["open", "verified", "done"] = "open"
    detail: str = ""


class UnmanagedRecord(_Format):
    """A live object no spec names."""

    address: str
    kind: str
    label: str = ""
    accepted: str | None = Field(default=None, description="The `unmanaged:` entry that accepts it.")


class DiagnosticRecord(_Format):
    code: str
    severity: Literal["error", "warning"]
    message: str
    location: Location | None = None
    hint: str | None = None


class ManagedRecordPlan(_Format):
    """What the apply does to the record of what crmconf manages on the target."""

    location: str
    shared: bool
    serial: int
    adopt: list[str] = Field(default_factory=list)
    forget: list[str] = Field(default_factory=list)
    vanished: list[str] = Field(default_factory=list)


class _PlanBody(_Format):
    format_version: Literal[1] = Field(description="The plan format; this crmconf reads 1.")
    tool_version: str = Field(description="The crmconf that made it; another version refuses it.")
    target: str
    provider: str
    spec_digest: str = Field(description="The digest of the spec the plan was made from.")
    summary: dict[str, int] = Field(description="Counts: add, change, destroy, open manual steps...")
    manual_steps: list[ManualStepRecord] = Field(default_factory=list)
    unmanaged: list[UnmanagedRecord] = Field(default_factory=list)
    diagnostics: list[DiagnosticRecord] = Field(default_factory=list)
    fingerprints: dict[str, str] = Field(description="The live fingerprint of each object it read ('-': absent).")
    workspace: str = Field(default="", description="The workspace folder (absolute) the plan was made in.")
    effects: dict[str, list[str]] = Field(default_factory=dict, description="Side effects on records, per change.")
    managed_record: ManagedRecordPlan | None = None


class PlanFile(_PlanBody):
    """A saved plan (`crmconf plan --out`): a ticket `crmconf apply PLANFILE` checks, never a program."""

    changes: list[ChangeRecord]
    integrity: str = Field(description="sha256 over the rest of the file (crmconf.engine.saved).")


class PlanJson(_PlanBody):
    """What `crmconf plan --format json` prints."""

    changes: list[ChangeJson]
    has_changes: bool
    needs_signoff: list[str]


class _Record(_Format):
    model_config = ConfigDict(frozen=True, extra="allow")  # a record may carry context (run, recovered)

    run: str = Field(description="The apply run this record belongs to.")
    time: str = Field(description="When it was written (ISO 8601, UTC).")


class BeginRecord(_Record):
    event: Literal["begin"]
    user: str
    host: str
    pid: int
    version: str
    target: str
    provider: str
    plan_digest: str
    changes: int
    planned: list[str] = Field(default_factory=list)


class Intended(_Format):
    address: str
    kind: str
    action: Literal["create", "update", "delete", "replace"]
    after: dict[str, JSON] | None


class IntentRecord(_Record):
    """Written, and fsynced, before the changes it lists are sent."""

    event: Literal["intent"]
    changes: list[Intended]


class OutcomeRecord(_Record):
    event: Literal["change"]
    address: str
    action: str
    outcome: str = Field(description="applied, failed, skipped, unknown, ...")
    detail: str = ""


class EndRecord(_Record):
    event: Literal["end"]
    counts: dict[str, int]
    verified: bool


JournalRecord = Annotated[BeginRecord | IntentRecord | OutcomeRecord | EndRecord, Field(discriminator="event")]


class JournalLine(RootModel[JournalRecord]):
    """One line of `.crmconf/journal.jsonl`."""


FORMATS: dict[str, type[BaseModel]] = {"plan": PlanFile, "plan-json": PlanJson, "journal": JournalLine}


def check_plan_file(data: dict[str, Any], path: object) -> PlanFile:
    """The saved plan's shape, or a UsageError naming the first thing that is wrong and where."""
    try:
        return PlanFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(the file)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise UsageError(
            f"{path} is not a crmconf plan file of format 1: {where}: {first['msg']}{more}; "
            "make a new plan with `crmconf plan --out`"
        ) from None
