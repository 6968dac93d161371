"""The v1 spec language as frozen pydantic models.

The models describe the YAML exactly as users write it (they are also the source of the published
JSON Schema), so every key here is part of the public contract documented in docs/spec-reference.md.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)

from crmconf.spec.text import check_label, check_name

OBJECTS = ("deal", "contact", "company", "ticket", "lead")
SECTIONS = ("terminology", "fields", "pipelines", "automations", "permissions", "manual_steps", "teams", "reviews")
CONFIG_KEYS = ("version", "default_target", "targets", "policies", "unmanaged", "promotion")
KINDS = ("term", "field", "pipeline", "stage", "automation", "permission")

ObjectName = Literal["deal", "contact", "company", "ticket", "lead"]
Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(check_label)]
Name = Annotated[Label, AfterValidator(check_name)]  # a label that identifies something: see spec/text.py
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+$"), AfterValidator(check_name)]
Text = Annotated[str, StringConstraints(max_length=4000)]
Team = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
Duration = Annotated[str, StringConstraints(pattern=r"^-?[0-9]{1,5}[hdw]$")]
Interval = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,4}[hdw]$")]  # a positive Duration
StrictInt = Annotated[int, Field(strict=True)]
StageRef = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")]
FieldRef = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")]

_DURATION_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_duration(text: str) -> timedelta:
    """'90d' -> 90 days, '-2w' -> minus two weeks (the format `Duration` admits)."""
    match = re.fullmatch(r"(-?[0-9]+)([hdw])", text)
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    return int(match.group(1)) * _DURATION_UNITS[match.group(2)]


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


# --- crmconf.yaml -------------------------------------------------------------------------------


OverridableSection = Literal["terminology", "fields", "pipelines", "automations", "permissions"]


class Target(Strict):
    """Where plans are applied: a provider and its settings (secrets only by environment variable name)."""

    provider: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
    settings: dict[str, Any] = Field(default_factory=dict)
    description: Text | None = None
    # Values that must differ on this target: section -> item name (`<object>.<field>` for fields) -> keys.
    overrides: dict[OverridableSection, dict[str, dict[Ident, Any]]] = Field(default_factory=dict)


Verdict = Literal[
    "ok", "due-soon", "overdue", "unowned", "orphan", "missing", "changed-since-review", "unused", "failing"
]
PrunableKind = Literal["field", "pipeline", "stage", "automation", "permission", "option"]


class Policies(Strict):
    automation_review_every: Interval = "90d"
    require_automation_owner: bool = True
    review_due_soon: Interval = "14d"
    prune: tuple[PrunableKind, ...] = ()
    # The team that signs off changes to crmconf.yaml and to the `teams` section (who may approve what).
    council: Team | None = None
    # How long a spec must have run, verified, on a target before the next one in `promotion` takes it.
    promotion_soak: Interval | None = None
    audit_fail_on: tuple[Verdict, ...] = (
        "overdue",
        "unowned",
        "orphan",
        "missing",
        "changed-since-review",
        "unused",
        "failing",
    )
    # A run count the vendor reports makes an automation `failing` when this share of its runs failed.
    audit_failing_percent: Annotated[int, Field(strict=True, ge=1, le=100)] = 10


def _no_bool(value: Any) -> Any:
    """YAML `true` equals 1 in Python; a version must be written as a number."""
    if isinstance(value, bool):
        raise ValueError("version must be the number 1")
    return value


def _rule_from_scalar(value: Any) -> Any:
    return {"address": value} if isinstance(value, str) else value


TargetName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]


class UnmanagedRule(Strict):
    """A live object (or a pattern of them) the workspace knowingly leaves alone.

    Listing an object crmconf manages, once the spec no longer declares it, forgets it: crmconf stops
    managing it and never deletes it (Terraform's `removed` block)."""

    address: Annotated[str, StringConstraints(min_length=1, max_length=400)]
    reason: Text | None = None
    targets: tuple[TargetName, ...] = ()


def _default_targets() -> dict[str, Target]:
    return {"local": Target(provider="local")}


class WorkspaceConfig(Strict):
    version: Annotated[Literal[1], BeforeValidator(_no_bool)]
    default_target: str = "local"
    targets: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")], Target] = Field(
        default_factory=_default_targets
    )
    policies: Policies = Field(default_factory=Policies)
    unmanaged: tuple[
        Annotated[
            UnmanagedRule, BeforeValidator(_rule_from_scalar, json_schema_input_type=str | UnmanagedRule)
        ],
        ...,
    ] = ()
    # Targets in the order a spec goes through them (sandbox first): a later one takes only a spec that
    # was applied and verified on the one before.
    promotion: tuple[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")], ...] = ()


# --- terminology --------------------------------------------------------------------------------


class Term(Strict):
    term: Name
    definition: Text
    owners: tuple[Team, ...] = ()
    avoid: tuple[Name, ...] = ()
    examples: tuple[Text, ...] = ()


# --- fields -------------------------------------------------------------------------------------

FieldType = Literal[
    "text",
    "textarea",
    "number",
    "currency",
    "percent",
    "date",
    "datetime",
    "boolean",
    "picklist",
    "multipicklist",
    "email",
    "phone",
    "url",
]
CHOICE_TYPES = ("picklist", "multipicklist")


def _option_from_scalar(value: Any) -> Any:
    return {"value": value} if isinstance(value, str) else value


class Option(Strict):
    value: Name
    label: Label | None = None
    hidden: bool = False

    @property
    def display(self) -> str:
        return self.label or self.value


class FieldSpec(Strict):
    name: Ident
    label: Label
    type: FieldType
    required: bool = False
    help_text: Text | None = None
    options: (
        tuple[
            Annotated[Option, BeforeValidator(_option_from_scalar, json_schema_input_type=str | Option)], ...
        ]
        | None
    ) = None
    format: Literal["e164"] | None = None
    group: Ident | None = None
    unique: bool = False
    owners: tuple[Team, ...] = ()

    @model_validator(mode="after")
    def _options_match_type(self) -> FieldSpec:
        if self.type in CHOICE_TYPES and not self.options:
            raise ValueError(f"a {self.type} field needs `options`")
        if self.type not in CHOICE_TYPES and self.options is not None:
            raise ValueError(f"`options` only apply to picklist fields, not {self.type}")
        if self.format is not None and self.type != "phone":
            raise ValueError("`format: e164` only applies to phone fields")
        return self


# --- pipelines ----------------------------------------------------------------------------------

Outcome = Literal["won", "lost", "closed"]
# Where a deal stage's amount counts in a forecast (Salesforce's forecast categories; "commit" is the
# category Salesforce's API calls Forecast). None: the CRM's own default for the stage's outcome.
ForecastCategory = Literal["omitted", "pipeline", "best_case", "most_likely", "commit", "closed"]


class Stage(Strict):
    name: Ident
    label: Label
    probability: Annotated[int, Field(strict=True, ge=0, le=100)] | None = None
    forecast_category: ForecastCategory | None = None
    owner_team: Team | None = None
    exit_criteria: Text | None = None
    require: tuple[Ident, ...] = ()
    outcome: Outcome | None = None
    description: Text | None = None
    # A side path off the main one (an escalation, waiting on the customer): records come here from
    # that stage and go back to it. Drawn as a branch in the handbook; the CRM's stage order is unchanged.
    branch_from: Ident | None = None


class Pipeline(Strict):
    name: Ident
    object: ObjectName
    label: Label
    description: Text | None = None
    owners: tuple[Team, ...] = ()
    stages: tuple[Stage, ...] = Field(min_length=1)
    # Stages removed from the spec, and the stage that takes their records.
    migrate_to: dict[Ident, Ident] = Field(default_factory=dict)


# --- automations --------------------------------------------------------------------------------


class RecordCreatedArgs(Strict):
    where: dict[Ident, str | int | float | bool] = Field(default_factory=dict)


class FieldChangedArgs(Strict):
    field: Ident
    to: str | int | float | bool | None = None


class StaleInStageArgs(Strict):
    days: Annotated[int, Field(strict=True, ge=1, le=3650)]
    pipeline: Ident | None = None


class DateReachedArgs(Strict):
    field: Ident
    offset: Duration = "0d"


class RecordCreated(Strict):
    record_created: RecordCreatedArgs


class StageEntered(Strict):
    stage_entered: StageRef


class FieldChanged(Strict):
    field_changed: FieldChangedArgs


class StaleInStage(Strict):
    stale_in_stage: StaleInStageArgs


class DateReached(Strict):
    date_reached: DateReachedArgs


TRIGGERS = ("record_created", "stage_entered", "field_changed", "stale_in_stage", "date_reached")
ACTIONS = ("create_task", "notify", "set_field", "assign_round_robin")


def _single_key(value: Any) -> str | None:
    """The tag of a one-key mapping (`{stage_entered: ...}`), used to pick the union member."""
    if isinstance(value, dict) and len(value) == 1:
        return str(next(iter(value)))
    if isinstance(value, BaseModel):
        return next(iter(type(value).model_fields))
    return None


Trigger = Annotated[
    Annotated[RecordCreated, Tag("record_created")]
    | Annotated[StageEntered, Tag("stage_entered")]
    | Annotated[FieldChanged, Tag("field_changed")]
    | Annotated[StaleInStage, Tag("stale_in_stage")]
    | Annotated[DateReached, Tag("date_reached")],
    Discriminator(
        _single_key,
        custom_error_type="unknown_trigger",
        custom_error_message="a trigger is one of: " + ", ".join(TRIGGERS),
    ),
]

Assignee = Annotated[
    str,
    StringConstraints(pattern=r"^(record_owner|team:[a-z][a-z0-9_-]*|[^@\s]+@[^@\s]+)$"),
    AfterValidator(check_name),
]


class CreateTaskArgs(Strict):
    subject: Label
    due_in: Duration = "0d"
    assign_to: Assignee = "record_owner"


class NotifyArgs(Strict):
    to: tuple[Assignee, ...] = Field(min_length=1)
    message: Text


class SetFieldArgs(Strict):
    field: Ident
    value: str | int | float | bool | None


class AssignRoundRobinArgs(Strict):
    team: Team
    among: tuple[Email, ...] = ()


class CreateTask(Strict):
    create_task: CreateTaskArgs


class Notify(Strict):
    notify: NotifyArgs


class SetField(Strict):
    set_field: SetFieldArgs


class AssignRoundRobin(Strict):
    assign_round_robin: AssignRoundRobinArgs


Action = Annotated[
    Annotated[CreateTask, Tag("create_task")]
    | Annotated[Notify, Tag("notify")]
    | Annotated[SetField, Tag("set_field")]
    | Annotated[AssignRoundRobin, Tag("assign_round_robin")],
    Discriminator(
        _single_key,
        custom_error_type="unknown_action",
        custom_error_message="an action is one of: " + ", ".join(ACTIONS),
    ),
]


class Pilot(Strict):
    """Who a change reaches first: declared teams (their members) and users, before everyone."""

    teams: tuple[Team, ...] = ()
    users: tuple[Email, ...] = ()

    @model_validator(mode="after")
    def _someone(self) -> Pilot:
        if not self.teams and not self.users:
            raise ValueError("a pilot names `teams`, `users` or both (remove `pilot:` to reach everyone)")
        return self


class Automation(Strict):
    name: Ident
    description: Text | None = None
    object: ObjectName | None = None
    trigger: Trigger | None = None
    actions: tuple[Action, ...] = ()
    binds: (
        Annotated[
            dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")], Name], Field(min_length=1)
        ]
        | None
    ) = None
    owner: Annotated[str, AfterValidator(check_name)] | None = None
    team: Team | None = None
    purpose: Text | None = None
    reviewed: date | None = None
    review_every: Interval | None = None
    status: Literal["active", "inactive"] = "active"
    pilot: Pilot | None = None  # runs for these people only, where the vendor can scope it

    @model_validator(mode="after")
    def _compiled_or_bound(self) -> Automation:
        if self.binds is not None:
            if self.trigger is not None or self.actions:
                raise ValueError("a bound automation (`binds`) cannot also have `trigger` or `actions`")
            return self
        missing = [k for k in ("object", "trigger") if getattr(self, k) is None]
        if not self.actions:
            missing.append("actions")
        if missing:
            raise ValueError(
                "an automation is either compiled (object, trigger, actions) or bound (binds); "
                "missing: " + ", ".join(missing)
            )
        return self

    @property
    def kind(self) -> Literal["compiled", "bound"]:
        return "bound" if self.binds is not None else "compiled"


# --- permissions --------------------------------------------------------------------------------

ObjectAccess = Literal["read", "create", "edit", "delete", "view_all", "modify_all"]
FieldAccess = Literal["none", "read", "edit"]


class PermissionSet(Strict):
    name: Ident
    label: Label
    description: Text | None = None
    objects: dict[ObjectName, tuple[ObjectAccess, ...]] = Field(default_factory=dict)
    fields: dict[FieldRef, FieldAccess] = Field(default_factory=dict)
    owners: tuple[Team, ...] = ()


# --- teams --------------------------------------------------------------------------------------

# GitHub's rules for a login: letters, digits and single hyphens, not at either end, at most 39.
GitHubLogin = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$")]
# A GitHub team as `org/slug`: the slug is the team name GitHub lower-cases and hyphenates.
GitHubTeam = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}/[a-z0-9][a-z0-9_.-]{0,99}$")
]


def _member_from_scalar(value: Any) -> Any:
    return {"email": value} if isinstance(value, str) else value


class Member(Strict):
    """A person of a team: how crmconf knows them (e-mail, as owners are written) and on GitHub."""

    email: Email | None = None
    github: GitHubLogin | None = None

    @model_validator(mode="after")
    def _someone(self) -> Member:
        if self.email is None and self.github is None:
            raise ValueError("a member needs `email`, `github` or both")
        return self


class TeamSpec(Strict):
    """A team that owns parts of the spec and signs off their changes."""

    name: Team
    description: Text | None = None
    members: tuple[
        Annotated[Member, BeforeValidator(_member_from_scalar, json_schema_input_type=str | Member)], ...
    ] = ()
    # GitHub teams (`org/slug`) whose members also sign off for this team.
    github_teams: tuple[GitHubTeam, ...] = ()


# --- review history ------------------------------------------------------------------------------

Decision = Literal["keep", "change", "retire"]


class ReviewRecord(Strict):
    """One review of an automation, kept in git (`crmconf review` appends these to reviews.yaml)."""

    automation: Ident
    by: Email
    on: date
    decision: Decision = "keep"
    note: Text | None = None


# --- manual steps done by people ---------------------------------------------------------------

StepId = Annotated[str, StringConstraints(min_length=3, max_length=400)]


class StepRecord(Strict):
    """A manual step a person has done on one target, as `crmconf done` records it (git keeps it)."""

    step: StepId
    target: TargetName
    done_by: Email
    done_on: date
    digest: Annotated[
        str, StringConstraints(pattern=r"^[0-9a-f]{16}$")
    ]  # what was asked: a change reopens it
    note: Text | None = None


# --- health: whether the rollout works, measured on the live records ----------------------------



def _share(value: Any) -> Any:
    """0.95 or 95 for a share is a guess crmconf will not make: the spec says 95%."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"write a share of records with a percent sign, like 95% (not {value})")
    return value


# A share of records, written as people write it: "95%", "99.5%".
Percent = Annotated[
    str,
    BeforeValidator(_share, json_schema_input_type=str),
    StringConstraints(pattern=r"^(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)%$"),
]
_SHARE = re.compile(r"^(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)%$")


def _goal(value: Any) -> Any:
    """A count KPI's target: a number of records (`0`) or a share of them (`2%`)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100_000_000:
        return value
    if isinstance(value, str) and _SHARE.match(value):
        return value
    raise ValueError(f"a target is a number of records, like 0, or a share of them, like 2% (not {value!r})")


# A count KPI's target: at most this many records, or at most this share of them.
CountTarget = Annotated[
    int | str,
    BeforeValidator(_goal, json_schema_input_type=Annotated[int, Field(ge=0, le=100_000_000)]
                    | Annotated[str, StringConstraints(pattern=_SHARE.pattern)]),
]


def _kpi_switch(value: Any) -> Any:
    """`stale_deals: false` turns a KPI off; `true` keeps its defaults."""
    if isinstance(value, bool):
        return {} if value else {"enabled": False}
    return value


class Kpi(Strict):
    """What every KPI of the `health` section takes besides its own keys."""

    enabled: bool = True
    escalate_after: Interval | None = None  # default: health.escalate_after
    notify: tuple[Team, ...] = ()  # teams told when it escalates, besides the owners of what is below target


class RequiredFieldCompletion(Kpi):
    """The share of records in each stage that hold every field the stage `require`s."""

    target: Percent = "95%"


class StaleDeals(Kpi):
    """Open deals sitting in one stage longer than `after` (default: the pipeline's stale_in_stage rule)."""

    target: CountTarget = 0
    after: Interval | None = None


class OffListValues(Kpi):
    """Records whose picklist value is not one of the field's `options`."""

    target: CountTarget = 0
    fields: tuple[FieldRef, ...] | None = None  # default: every picklist field of the spec


class LeadSourceCoverage(Kpi):
    """The share of records that say where they came from."""

    target: Percent = "95%"
    field: Ident = "lead_source"
    objects: tuple[ObjectName, ...] | None = None  # default: every object whose spec declares `field`


class OwnerCoverage(Kpi):
    """The share of records owned by an active user."""

    target: Percent = "100%"
    objects: tuple[ObjectName, ...] | None = None  # default: every object the spec has fields or pipelines on


class Duplicates(Kpi):
    """Records that repeat an earlier record's dedup key (the same value, ignoring case)."""

    target: CountTarget = 0
    keys: tuple[FieldRef, ...] | None = None  # default: every `unique` field, contact.email, company.domain


class ActivityPerUser(Kpi):
    """Activities (calls, e-mails, meetings, tasks, notes) each owner logged in the last `per`."""

    target: Annotated[int, Field(strict=True, ge=1, le=100_000)] = 5
    per: Interval = "1w"


# Each KPI also takes `true` (its defaults) or `false` (off).
RequiredFieldCompletionSetting = Annotated[
    RequiredFieldCompletion, BeforeValidator(_kpi_switch, json_schema_input_type=bool | RequiredFieldCompletion)
]
StaleDealsSetting = Annotated[
    StaleDeals, BeforeValidator(_kpi_switch, json_schema_input_type=bool | StaleDeals)
]
OffListValuesSetting = Annotated[
    OffListValues, BeforeValidator(_kpi_switch, json_schema_input_type=bool | OffListValues)
]
LeadSourceCoverageSetting = Annotated[
    LeadSourceCoverage, BeforeValidator(_kpi_switch, json_schema_input_type=bool | LeadSourceCoverage)
]
OwnerCoverageSetting = Annotated[
    OwnerCoverage, BeforeValidator(_kpi_switch, json_schema_input_type=bool | OwnerCoverage)
]
DuplicatesSetting = Annotated[
    Duplicates, BeforeValidator(_kpi_switch, json_schema_input_type=bool | Duplicates)
]
ActivityPerUserSetting = Annotated[
    ActivityPerUser, BeforeValidator(_kpi_switch, json_schema_input_type=bool | ActivityPerUser)
]


class Health(Strict):
    """How `crmconf health` measures the rollout: each KPI's target and when it escalates."""

    escalate_after: Interval = "14d"
    notify: tuple[Team, ...] = ()
    by_owner: bool = True
    required_field_completion: RequiredFieldCompletionSetting = Field(default_factory=RequiredFieldCompletion)
    stale_deals: StaleDealsSetting = Field(default_factory=StaleDeals)
    off_list_values: OffListValuesSetting = Field(default_factory=OffListValues)
    lead_source_coverage: LeadSourceCoverageSetting = Field(default_factory=LeadSourceCoverage)
    owner_coverage: OwnerCoverageSetting = Field(default_factory=OwnerCoverage)
    duplicates: DuplicatesSetting = Field(default_factory=Duplicates)
    activity_per_user: ActivityPerUserSetting = Field(default_factory=ActivityPerUser)


# The health section, added here so the section list above stays as other work edits it.
SECTIONS = (*SECTIONS, "health")  # type: ignore[assignment]


# --- files and the merged workspace -------------------------------------------------------------


class SectionFile(Strict):
    """Any YAML file of a workspace other than crmconf.yaml: one or more sections."""

    terminology: tuple[Term, ...] = ()
    fields: dict[ObjectName, tuple[FieldSpec, ...]] = Field(default_factory=dict)
    pipelines: tuple[Pipeline, ...] = ()
    automations: tuple[Automation, ...] = ()
    permissions: tuple[PermissionSet, ...] = ()
    manual_steps: tuple[StepRecord, ...] = ()
    teams: tuple[TeamSpec, ...] = ()
    reviews: tuple[ReviewRecord, ...] = ()
    health: Health | None = None


class ConfigFile(SectionFile, WorkspaceConfig):
    """crmconf.yaml: the workspace settings, and optionally sections too."""


class Spec(Strict):
    """The merged workspace, the input of every later stage."""

    config: WorkspaceConfig
    terminology: tuple[Term, ...] = ()
    fields: dict[ObjectName, tuple[FieldSpec, ...]] = Field(default_factory=dict)
    pipelines: tuple[Pipeline, ...] = ()
    automations: tuple[Automation, ...] = ()
    permissions: tuple[PermissionSet, ...] = ()
    manual_steps: tuple[StepRecord, ...] = ()
    teams: tuple[TeamSpec, ...] = ()
    reviews: tuple[ReviewRecord, ...] = ()
    health: Health = Field(default_factory=Health)

    def field(self, obj: str, name: str) -> FieldSpec | None:
        return next((f for f in self.fields.get(obj, ()) if f.name == name), None)  # type: ignore[call-overload]

    def pipeline(self, name: str) -> Pipeline | None:
        return next((p for p in self.pipelines if p.name == name), None)

    def team(self, name: str) -> TeamSpec | None:
        return next((t for t in self.teams if t.name == name), None)
