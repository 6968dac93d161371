"""A Spec as Salesforce resources: custom fields, stage values, processes, validation rules, flows, permission sets.

Addresses follow the engine's conventions (`field.deal.arr`, `pipeline.new_business`,
`pipeline.new_business.stage.proposal`, `automation.<name or flow API name>`, `permission.sales_rep`);
attributes are in the vocabulary fetch.py reads back, so a plan converges. Pipelines map as:

- one Salesforce stage *value* per spec stage (OpportunityStage for deals, CaseStatus for tickets,
  LeadStatus for lead lifecycles); its API name is the spec label. Pipelines that share a label share
  the value, so they must agree on its probability/outcome (else error V601). A stage resource holds
  only the value's own attributes; the whole value set is written once per apply batch, merged with
  every live value (values another process uses are never dropped: see apply.py);
- one BusinessProcess + RecordType per pipeline; the pipeline lists its stage values in order and
  depends on them (a process may only name active values);
- one validation rule per stage that requires fields (formulas.py), a child of its pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crmconf import address as addr
from crmconf.engine.native import automation_refs, pilot_users
from crmconf.engine.resource import Compiled, ManualStep, Resource
from crmconf.spec.diagnostics import Diagnostic, Location, error, warning
from crmconf.spec.model import Automation, FieldSpec, PermissionSet, Pipeline, Spec, Stage
from crmconf.spec.standard import STANDARD_FIELDS
from crmconf.spec.workspace import Sources
from crmconf_salesforce import flows, formulas, ordering, pilots
from crmconf_salesforce.mapping import (
    CROSS_OBJECT,
    FAMILIES,
    MAX_FIELD_NAME,
    OBJECTS,
    STANDARD,
    UNIQUE_TYPES,
    Family,
    closed_access,
    custom_api_name,
    default_forecast,
    field_api,
    flow_api_name,
    humanize,
    is_dev_name,
    is_standard,
    snake,
    spec_field_name,
    title_name,
)

PROVIDER = "salesforce"
# Standard fields Salesforce keeps out of field-level security (required, or system-managed).
NO_FLS: dict[str, set[str]] = {
    "deal": {"name", "stage", "close_date", "owner", "pipeline"},
    "contact": {"first_name", "last_name", "owner", "lifecycle_stage"},
    "company": {"name", "owner"},
    "ticket": {"status", "owner"},
    "lead": {"first_name", "last_name", "company", "status", "owner"},
}


@dataclass
class State:
    """What compile learned that fetch and apply use: which live objects are ours, and API names."""

    stage_names: dict[str, dict[str, str]] = field(default_factory=dict)  # pipeline -> value (lower) -> stage
    fields: dict[str, str] = field(default_factory=dict)  # "opportunity.arr__c" -> spec type
    permission_sets: set[str] = field(default_factory=set)  # API names, lower case
    flows: set[str] = field(default_factory=set)  # compiled flow API names, lower case
    pilots: set[str] = field(default_factory=set)  # compiled flows scoped to a pilot's users, lower case
    stage_values: dict[str, str] = field(default_factory=dict)  # stage address -> API value
    migrations: dict[str, dict[str, str]] = field(default_factory=dict)  # pipeline -> retired -> target
    stage_order: dict[str, list[str]] = field(default_factory=dict)  # pipeline address -> stage values in order
    required: set[str] = field(default_factory=set)  # "opportunity.deal_type__c": no field-level security
    options: dict[str, set[str]] = field(default_factory=dict)  # picklist field -> its spec values, lower case
    prune: frozenset[str] = frozenset()  # the policy's prunable kinds: a pruned field's users are read
    value_order: dict[str, list[str]] = field(default_factory=dict)  # value set -> the spec's stage order
    # permission set API name -> objects Salesforce needs Read on that the spec does not name (completed)
    completions: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class _Builder:
    spec: Spec
    sources: Sources
    api_version: str
    resources: list[Resource] = field(default_factory=list)
    manual: list[ManualStep] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    state: State = field(default_factory=State)
    _orders: dict[str, list[tuple[str, list[str]]]] = field(default_factory=dict)  # value set -> pipelines
    _values: dict[tuple[str, str], tuple[str, dict[str, Any]]] = field(default_factory=dict)
    _requires: dict[tuple[str, str], list[tuple[str, tuple[str, ...]]]] = field(default_factory=dict)
    _family_of: dict[str, Family] = field(default_factory=dict)

    def at(self, address: str, *sub: str | int) -> Location | None:
        return self.sources.locate(address, *sub)

    # --- fields ----------------------------------------------------------------------------------

    def field_type(self, obj: str, name: str) -> str | None:
        declared = self.spec.field(obj, name)
        return declared.type if declared else STANDARD_FIELDS.get(obj, {}).get(name)

    def fields(self) -> None:
        for obj, specs in self.spec.fields.items():
            sobject = OBJECTS[obj]
            standard: list[str] = []
            for f in specs:
                address = addr.field(obj, f.name)
                if is_standard(obj, f.name):
                    standard.append(self._standard_line(obj, f))
                    continue
                if f.format == "e164":
                    self._phone_format(obj, f)
                self._custom_field(obj, sobject, f, address)
            if standard:
                self.manual.append(ManualStep(
                    addr.join("field", obj), f"Standard {sobject} fields are set up in Salesforce Setup",
                    "crmconf never creates or changes Salesforce standard fields. In Setup > Object Manager > "
                    f"{sobject}, check: " + "; ".join(standard) + ".",
                    self.at(addr.field(obj, specs[0].name)), topic="standard-fields",
                ))

    def _standard_line(self, obj: str, f: FieldSpec) -> str:
        api = STANDARD[obj][f.name]
        parts = [f"label {f.label!r}"]
        if f.required:
            parts.append("required (page layout)")
        if f.help_text:
            parts.append(f"help text {f.help_text!r}")
        if f.options:
            parts.append("values " + ", ".join(o.value for o in f.options))
        if f.format:
            parts.append(f"format {f.format}")
        where = api or "no Salesforce field (keep it as a custom field under another name)"
        return f"{obj}.{f.name} -> {where}: " + ", ".join(parts)

    def _phone_format(self, obj: str, f: FieldSpec) -> None:
        api = field_api(obj, f.name)
        rule = f'AND(NOT(ISBLANK({api})), NOT(REGEX({api}, "^\\\\+[1-9][0-9]{{7,14}}$")))'
        self.manual.append(ManualStep(
            addr.field(obj, f.name),
            f"Enforce E.164 phone numbers on {OBJECTS[obj]}.{api}",
            f"Salesforce phone fields have no format setting. Add a validation rule on {OBJECTS[obj]} with "
            f"the error condition {rule} and a message such as 'Use +<country code><number>'.",
            self.at(addr.field(obj, f.name), "format"), f.owners, topic="e164",
        ))

    def _custom_field(self, obj: str, sobject: str, f: FieldSpec, address: str) -> None:
        api = custom_api_name(f.name)
        if len(api) - 3 > MAX_FIELD_NAME or spec_field_name(sobject, api) != f.name:
            self.diagnostics.append(error(
                "V606", f"field {obj}.{f.name} cannot be a Salesforce field name ({api})",
                self.at(address, "name"), hint="use at most 40 characters and single underscores"))
            return
        required = f.required
        if f.type == "boolean" and required:
            self.diagnostics.append(warning(
                "V604", f"{obj}.{f.name}: a Salesforce checkbox is never empty, so `required` does not apply",
                self.at(address, "required"), hint="require it at a stage instead (it must then be ticked)"))
            required = False
        unique = f.unique
        if unique and f.type not in UNIQUE_TYPES:
            self.diagnostics.append(warning(
                "V605", f"{obj}.{f.name}: Salesforce enforces `unique` only on text, number and e-mail fields",
                self.at(address, "unique")))
            unique = False
        attrs = {
            "label": f.label,
            "type": f.type,
            "required": required,
            "help_text": f.help_text,
            "options": [o.model_dump() | {"label": o.display} for o in f.options] if f.options else None,
            "unique": unique,
        }
        self.state.fields[f"{sobject}.{api}".lower()] = f.type
        if f.options:
            self.state.options[f"{sobject}.{api}".lower()] = {o.value.lower() for o in f.options}
        if required:
            self.state.required.add(f"{sobject}.{api}".lower())
        self.resources.append(Resource(address, "field", attrs, source=self.at(address), owners=f.owners,
                                       replace_on=("type",), label=f.label))

    # --- pipelines -------------------------------------------------------------------------------

    def family(self, p: Pipeline) -> tuple[Family | None, str]:
        if p.object == "deal":
            return FAMILIES["Opportunity"], ""
        if p.object == "ticket":
            return FAMILIES["Case"], ""
        if p.object == "company":
            return None, "Salesforce Accounts have no process or status picklist; track the stage in a custom picklist field"
        problems = []
        if any(s.probability is not None for s in p.stages):
            problems.append("lead statuses have no probability")
        lead_fields = {n for n, api in STANDARD["lead"].items() if api} | {f.name for f in self.spec.fields.get("lead", ())}
        missing = sorted({r for s in p.stages for r in s.require if r not in lead_fields})
        if missing:
            problems.append(f"Lead has no field {', '.join(missing)}")
        if problems:
            where = "Contacts have no lifecycle status in Salesforce; it lives on Leads (Lead Status), and " if (
                p.object == "contact") else ""
            return None, where + "this pipeline is not a clean Lead Status list: " + "; ".join(problems)
        return FAMILIES["Lead"], ""

    def pipelines(self) -> None:
        for p in self.spec.pipelines:
            address = addr.pipeline(p.name)
            family, why = self.family(p)
            if family is None:
                self.manual.append(ManualStep(
                    address, f"Set up the {p.label} pipeline by hand",
                    f"{why}. Stages: " + ", ".join(s.label for s in p.stages) + ".", self.at(address), p.owners,
                    topic="build-pipeline"))
                continue
            if snake(title_name(p.name)) != p.name:
                self.diagnostics.append(error("V606", f"pipeline {p.name} cannot be a Salesforce process name",
                                              self.at(address, "name"), hint="use single underscores"))
                continue
            self._pipeline(p, family, address)
        self._shared_requirements()
        self._one_order()

    def _one_order(self) -> None:
        """Pipelines sharing a value set must agree on the order of their shared values (V607)."""
        for value_set, sequences in self._orders.items():
            order, conflict = ordering.merge(sequences)
            if conflict is not None:
                self.diagnostics.append(error(
                    "V607",
                    f"{conflict.first} puts {conflict.before!r} before {conflict.after!r} and {conflict.second} "
                    f"puts it after; Salesforce keeps one order of {value_set} values for every process",
                    self.at(conflict.second, "stages"),
                    hint="order the shared stages the same way in both pipelines"))
                continue
            self.state.value_order[value_set] = order

    def _pipeline(self, p: Pipeline, family: Family, address: str) -> None:
        owners = tuple(dict.fromkeys([*p.owners, *(s.owner_team for s in p.stages if s.owner_team)]))
        self._family_of[p.name] = family
        stage_addresses = []
        names = self.state.stage_names.setdefault(p.name, {})
        for s in p.stages:
            stage_address = addr.child(address, "stage", s.name)
            stage_addresses.append(stage_address)
            names[s.label.lower()] = s.name
            self.state.stage_values[stage_address] = s.label
            attrs = stage_attrs(family, s)
            self._shared_value(family, s, stage_address, attrs)
            self.resources.append(Resource(stage_address, "stage", attrs, source=self.at(stage_address),
                                           owners=owners, parent=address, label=s.label))
        pipeline: dict[str, Any] = {"object": family.spec_object, "label": p.label, "stages": [s.label for s in p.stages]}
        if p.description is not None:
            pipeline["description"] = p.description
        migrations = {addr.child(address, "stage", old): addr.child(address, "stage", new) for old, new in p.migrate_to.items()}
        self.state.migrations[address] = migrations
        self.state.stage_order[address] = [s.label for s in p.stages]
        self._orders.setdefault(family.value_set, []).append((address, [s.label for s in p.stages]))
        self.resources.append(Resource(
            address, "pipeline", pipeline, depends_on=tuple(stage_addresses), source=self.at(address), owners=owners,
            replace_on=("object",), migrations=migrations, label=p.label))
        for s in p.stages:
            if s.require:
                self._rule(p, family, s, address, owners)

    def _shared_value(self, family: Family, s: Stage, address: str, attrs: dict[str, Any]) -> None:
        key = (family.value_set, s.label.lower())
        first = self._values.setdefault(key, (address, attrs))
        if first[1] != attrs:
            self.diagnostics.append(error(
                "V601",
                f"{address} and {first[0]} are the same Salesforce {family.value_set} value {s.label!r} "
                f"but disagree on its probability or outcome",
                self.at(address), hint="pipelines that share a stage label share its settings in Salesforce"))

    def _rule(self, p: Pipeline, family: Family, s: Stage, address: str, owners: tuple[str, ...]) -> None:
        stage_address = addr.child(address, "stage", s.name)
        obj = family.spec_object if family.sobject == "Lead" else p.object
        required: list[formulas.Required] = []
        depends = [stage_address]
        for name in s.require:
            api = field_api(obj, name)
            if api is None:
                continue
            ftype = self.field_type(obj, name)
            kind = "picklist" if ftype == "picklist" else "boolean" if ftype == "boolean" else "other"
            declared = self.spec.field(obj, name)
            standard = is_standard(obj, name)
            label = declared.label if declared and not standard else humanize(name)
            required.append(formulas.Required(api, kind, label))
            if declared and not standard:
                depends.append(addr.field(obj, name))
        if not required:
            return
        key = (family.sobject, s.label.lower())
        self._requires.setdefault(key, []).append((stage_address, tuple(sorted(r.api for r in required))))
        name = formulas.rule_name(p.name, s.label)
        attrs = {
            "name": f"{family.sobject}.{name}",
            "formula": formulas.formula(family.field, s.label, required),
            "message": formulas.message(s.label, required),
            "display_field": required[0].api,
            "active": True,
            "description": formulas.description(s.label, p.name),
        }
        self.resources.append(Resource(
            f"{stage_address}.rule", "validation_rule", attrs, depends_on=tuple(depends),
            source=self.at(stage_address, "require"), owners=owners, parent=address,
            label=f"{p.label}: {s.label} requirements"))

    def _shared_requirements(self) -> None:
        for (sobject, label), uses in self._requires.items():
            if len({fields for _, fields in uses}) > 1:
                first = uses[0][0]
                self.diagnostics.append(warning(
                    "V602",
                    f"stage value {label!r} on {sobject} is required differently by {', '.join(a for a, _ in uses)}; "
                    "Salesforce validation rules see the stage value, not the pipeline, so every rule applies "
                    "to every record at that stage",
                    self.at(first, "require"), hint="give the stages distinct labels, or the same requirements"))

    # --- automations -----------------------------------------------------------------------------

    def automations(self) -> None:
        declared = {addr.field(obj, f.name) for obj, fs in self.spec.fields.items() for f in fs
                    if not is_standard(obj, f.name)}
        ctx = flows.FlowContext(self._api_of, self._stage_value, self.api_version)
        for a in self.spec.automations:
            if a.binds is not None:
                self._bound(a)
            else:
                self._compiled(a, ctx, declared)

    def _api_of(self, obj: str, name: str) -> str | None:
        return field_api(obj, name)

    def _stage_value(self, ref: str) -> tuple[str, str] | None:
        pipeline, _, stage = ref.partition(".")
        family = self._family_of.get(pipeline)
        value = self.state.stage_values.get(addr.stage(pipeline, stage))
        return (family.sobject, value) if family and value else None

    def _bound(self, a: Automation) -> None:
        api = (a.binds or {}).get(PROVIDER)
        if api is None:
            return  # bound only in other vendors: nothing to manage here
        if a.pilot is not None:  # crmconf can add its pilot decision only to a flow it compiles
            self.diagnostics.append(error(
                "P501", f"automation {a.name} is a pilot, and a flow crmconf does not compile ({api}) cannot be "
                "scoped to the pilot's people by crmconf", self.at(addr.automation(a.name), "pilot"),
                hint="compile it from the spec (object, trigger, actions), or remove `pilot:` to reach everyone"))
        attrs: dict[str, Any] = {"status": a.status}
        if a.description is not None and "." not in api:  # workflow rules: only `active` can change
            attrs["description"] = a.description
        self.resources.append(Resource(
            addr.automation(api), "automation", attrs, source=self.at(addr.automation(a.name)),
            owners=tuple(x for x in (a.team, a.owner) if x), label=a.name))

    def _compiled(self, a: Automation, ctx: flows.FlowContext, declared: set[str]) -> None:
        address = addr.automation(a.name)
        api = flow_api_name(a.name)
        owners = tuple(x for x in (a.team, a.owner) if x)
        result = flows.compile_flow(a, ctx)
        if not is_dev_name(api) or len(api) > 80:
            result.problems.append(f"its name cannot be a Salesforce flow API name ({api})")
        if result.definition is None or result.problems:
            self.manual.append(ManualStep(
                address, f"Build automation {a.name} in Flow Builder",
                "crmconf cannot compile it to a Salesforce flow: " + "; ".join(result.problems)
                + f". What it must do: {_automation_words(a)}. Then bind it: `binds: {{salesforce: <Flow API name>}}`.",
                self.at(address), owners, topic="build-flow"))
            return
        self.state.flows.add(api.lower())
        definition = result.definition
        if a.pilot is not None and (definition.get("start") or {}).get("scheduledPaths"):
            self.diagnostics.append(error(
                "P501", f"automation {a.name} is a pilot, and its Salesforce flow runs later on a scheduled path, as "
                "the Automated Process user rather than the person who changed the record: it cannot tell who is in "
                "the pilot", self.at(address, "pilot"), hint="remove `pilot:` to reach everyone"))
        elif a.pilot is not None:  # only the pilot's users pass its first decision (crmconf_salesforce/pilots.py)
            definition = pilots.with_pilot(definition, pilots.permission_of(api))
            self.state.pilots.add(api.lower())
        attrs: dict[str, Any] = {"status": a.status, "description": a.description, **flows.attrs_of(definition)}
        if a.pilot is not None:
            attrs["pilot"] = {"users": pilot_users(self.spec, a)}
        self.resources.append(Resource(
            address, "automation", attrs, depends_on=automation_refs(a, declared), source=self.at(address),
            owners=owners, label=a.name))

    # --- permissions -----------------------------------------------------------------------------

    def permissions(self) -> None:
        for p in self.spec.permissions:
            self._permission(p)

    def _object_dependencies(self, p: PermissionSet, address: str, api: str) -> None:
        """Access to some objects needs Read on others (Read on deals needs Read on companies). The
        Metadata API refuses a permission set without it; Setup ticks it for you. crmconf does as
        Setup: it grants Read on the other object when the spec does not name it (warning V608), and
        refuses a spec that names it with no access (error V609)."""
        for obj, needs in CROSS_OBJECT.items():
            if not p.objects.get(obj):  # type: ignore[call-overload]
                continue
            for need in needs:
                granted = p.objects.get(need)  # type: ignore[call-overload]
                if granted is None:
                    self.state.completions.setdefault(api.lower(), set()).add(OBJECTS[need])
                    self.diagnostics.append(warning(
                        "V608", f"permission {p.name}: access to {obj} needs read on {need} in Salesforce; "
                        f"apply grants read on {need} as Setup does", self.at(address, "objects", obj),
                        hint=f"say so in the spec: `{need}: [read]`"))
                elif not granted:
                    self.diagnostics.append(error(
                        "V609", f"permission {p.name}: access to {obj} needs read on {need} in Salesforce, "
                        f"but the spec gives {need} no access", self.at(address, "objects", need),
                        hint=f"grant `{need}: [read]`, or take {obj} away"))

    def _permission(self, p: PermissionSet) -> None:
        address = addr.permission(p.name)
        api = title_name(p.name)
        if snake(api) != p.name or not is_dev_name(api):
            self.diagnostics.append(error("V606", f"permission set {p.name} cannot be a Salesforce API name",
                                          self.at(address, "name")))
            return
        attrs: dict[str, Any] = {"label": p.label}
        if p.description is not None:
            attrs["description"] = p.description
        for spec_object, granted in sorted(p.objects.items()):
            attrs[f"objects.{spec_object}"] = closed_access(granted) or None
        self._object_dependencies(p, address, api)
        depends = []
        for ref, access in sorted(p.fields.items()):
            obj, _, name = ref.partition(".")
            declared = self.spec.field(obj, name)
            why = ""
            if name in NO_FLS.get(obj, set()):
                why = "Salesforce does not apply field-level security to it"
            elif declared is not None and declared.required and not is_standard(obj, name):
                why = "it is required, and Salesforce gives everyone who can edit the record edit access to a required field"
            if why:
                self.diagnostics.append(warning(
                    "V603", f"permission {p.name}: {ref} is left out: {why}", self.at(address, "fields", ref)))
                continue
            attrs[f"fields.{ref}"] = None if access == "none" else access
            if declared is not None and not is_standard(obj, name):
                depends.append(addr.field(*ref.split(".", 1)))
        self.state.permission_sets.add(api.lower())
        self.resources.append(Resource(address, "permission", attrs, depends_on=tuple(depends),
                                       source=self.at(address), label=p.label))


def stage_attrs(family: Family, s: Stage) -> dict[str, Any]:
    """A stage value's managed attributes, per value set (only deals have probabilities and forecast
    categories; the category is always sent: Salesforce never derives it from a new probability)."""
    attrs: dict[str, Any] = {"value_set": family.value_set, "active": True}
    if family.sobject == "Opportunity":
        if s.probability is not None:
            attrs["probability"] = s.probability
        attrs["outcome"] = "won" if s.outcome == "won" else "lost" if s.outcome in ("lost", "closed") else None
        attrs["forecast_category"] = s.forecast_category or default_forecast(attrs["outcome"])
    elif family.sobject == "Case":
        attrs["outcome"] = "closed" if s.outcome else None
    else:  # a lead closes only by conversion: `closed` is Lead Status' `converted` flag
        attrs["outcome"] = "closed" if s.outcome else None
    return attrs


def _automation_words(a: Automation) -> str:
    trigger = a.trigger.model_dump(mode="json") if a.trigger else {}
    actions = [act.model_dump(mode="json") for act in a.actions]
    return f"on {a.object}, when {trigger}, do {actions}"


def compile_spec(spec: Spec, sources: Sources, api_version: str) -> tuple[Compiled, State]:
    b = _Builder(spec, sources, api_version)
    b.state.prune = frozenset(spec.config.policies.prune)
    b.fields()
    b.pipelines()
    b.automations()
    b.permissions()
    return Compiled(tuple(b.resources), tuple(b.manual), tuple(b.diagnostics)), b.state
