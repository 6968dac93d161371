"""Changes as Salesforce calls: Metadata upserts 10 at a time, one value-set write per batch, records moved first.

`apply_batch` receives runs of same-kind, same-action, independent changes (the engine groups them)
and returns one result per change. Components that need no merge with live state (validation
rules, compiled flows, new fields) are written straight; the rest are read, merged and written
back, so attributes crmconf does not manage survive (a field's length, a record type's picklist
defaults, a permission set's other grants). A LimitExceededError or AuthError marks the change that
met it and every later one in the batch, so the journal says exactly what landed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from crmconf import address as addr
from crmconf.engine.changes import Action, Change
from crmconf.errors import AuthError, LimitExceededError, ProviderError
from crmconf_salesforce import pilots, stages
from crmconf_salesforce.client import SalesforceClient, by_name
from crmconf_salesforce.compile import State
from crmconf_salesforce.flows import clean
from crmconf_salesforce.mapping import (
    ACCESS_FLAGS,
    CROSS_OBJECT,
    FIELD_TYPES,
    FLOW_PREFIX,
    OBJECTS,
    UNIQUE_TYPES,
    custom_api_name,
    field_api,
    title_name,
)

Result = ProviderError | None
STOPPERS = (LimitExceededError, AuthError)


def _name(address: str) -> str:
    return addr.name_of(address)


def _automation_kind(change: Change) -> str:
    attrs = change.after or change.before or {}
    if "definition" in attrs or change.meta.get("compiled"):
        return "compiled"
    api = addr.name_of(change.address)
    return "workflow_rule" if "." in api or change.meta.get("kind") == "workflow_rule" else "flow"


class Applier:
    def __init__(self, client: SalesforceClient, state: Callable[[], State | None]) -> None:
        self.client = client
        self.state = state
        self.stages = stages.Stages(client, state)

    # --- what may share a call -------------------------------------------------------------------

    def batchable(self, change: Change) -> bool:
        if change.action is Action.REPLACE:
            return False
        if change.kind == "automation":
            return _automation_kind(change) == "compiled" and change.action is not Action.DELETE
        return change.kind in ("field", "stage", "pipeline", "validation_rule", "permission")

    def apply(self, change: Change) -> None:
        result = self.apply_batch([change])[0]
        if result is not None:
            raise result

    def apply_batch(self, changes: list[Change]) -> list[Result]:
        kind, action = changes[0].kind, changes[0].action
        handler = self._handlers().get((kind, action))
        if handler is None:
            return [ProviderError(f"crmconf cannot {action.value} a Salesforce {kind}", context=f"salesforce {c.address}")
                    for c in changes]
        # A package's components are never written (the plan refuses them too: P203).
        refused = {c.address: ProviderError(f"{c.meta['read_only']}; crmconf never writes it",
                                            context=f"salesforce {c.address}")
                   for c in changes if c.meta.get("read_only")}
        rest = [c for c in changes if c.address not in refused]
        try:
            done = dict(zip((c.address for c in rest), handler(rest) if rest else [], strict=True))
        except STOPPERS as stop:
            return [stop] * len(changes)
        return [refused.get(c.address) or done.get(c.address) for c in changes]

    def _handlers(self) -> dict[tuple[str, Action], Callable[[list[Change]], list[Result]]]:
        return {
            ("field", Action.CREATE): self.upsert_fields,
            ("field", Action.UPDATE): self.upsert_fields,
            ("field", Action.REPLACE): self.replace_fields,
            ("field", Action.DELETE): self.delete_fields,
            ("stage", Action.CREATE): self.stages.upsert,
            ("stage", Action.UPDATE): self.stages.upsert,
            ("stage", Action.DELETE): self.stages.retire,
            ("pipeline", Action.CREATE): self.stages.upsert_pipelines,
            ("pipeline", Action.UPDATE): self.stages.upsert_pipelines,
            ("pipeline", Action.DELETE): self.stages.refuse_pipeline,
            ("pipeline", Action.REPLACE): self.stages.refuse_pipeline,
            ("validation_rule", Action.CREATE): self.upsert_rules,
            ("validation_rule", Action.UPDATE): self.upsert_rules,
            ("validation_rule", Action.DELETE): self.delete_rules,
            ("automation", Action.CREATE): self.automations,
            ("automation", Action.UPDATE): self.automations,
            ("automation", Action.DELETE): self.automations,
            ("permission", Action.CREATE): self.upsert_permissions,
            ("permission", Action.UPDATE): self.upsert_permissions,
            ("permission", Action.DELETE): self.delete_permissions,
        }

    def _outcomes(self, changes: list[Change], names: list[str], results: list[Any], what: str) -> list[Result]:
        """One result per change, matched by full name."""
        assert len(changes) == len(names)
        keyed = by_name(results, names)
        out: list[Result] = []
        for name in names:
            r = keyed.get(name.lower())
            if r is None:
                out.append(ProviderError("Salesforce returned no result for it", context=f"salesforce {what} {name}"))
            elif not r.ok:
                out.append(ProviderError(r.message, context=f"salesforce {what} {name}"))
            else:
                out.append(None)
        return out

    # --- fields ----------------------------------------------------------------------------------

    def _field_name(self, change: Change) -> str:
        if change.meta.get("api_name"):
            return str(change.meta["api_name"])
        _, obj, name = change.address.split(".", 2)
        return f"{OBJECTS[obj]}.{custom_api_name(name)}"

    def upsert_fields(self, changes: list[Change]) -> list[Result]:
        names = [self._field_name(c) for c in changes]
        updates = [n for c, n in zip(changes, names, strict=True) if c.action is Action.UPDATE]
        live = dict(zip((n.lower() for n in updates), self.client.md_read("CustomField", updates), strict=True))
        comps: list[dict[str, Any]] = []
        out: list[Result] = []
        for change, name in zip(changes, names, strict=True):
            try:
                comps.append(_field_component(change, name, live.get(name.lower())))
                out.append(None)
            except ProviderError as err:
                out.append(err)
        written = [n for n, r in zip(names, out, strict=True) if r is None]
        results = self.client.md_write("upsertMetadata", "CustomField", comps) if comps else []
        done = iter(self._outcomes([c for c, r in zip(changes, out, strict=True) if r is None], written, results,
                                   "upsert field"))
        return [r if r is not None else next(done) for r in out]

    def replace_fields(self, changes: list[Change]) -> list[Result]:
        out: list[Result] = []
        for change in changes:
            name = self._field_name(change)
            deleted = self.client.md_delete("CustomField", [name])
            if not deleted or not deleted[0].ok:
                out.append(ProviderError(deleted[0].message if deleted else "no result",
                                         context=f"salesforce delete field {name} (to recreate it)"))
                continue
            created = self.client.md_write("upsertMetadata", "CustomField", [_field_component(change, name, None)])
            out.extend(self._outcomes([change], [name], created, "recreate field"))
        return out

    def delete_fields(self, changes: list[Change]) -> list[Result]:
        names = [self._field_name(c) for c in changes]
        return self._outcomes(changes, names, self.client.md_delete("CustomField", names), "delete field")

    # --- validation rules ------------------------------------------------------------------------

    def upsert_rules(self, changes: list[Change]) -> list[Result]:
        comps = []
        for c in changes:
            a = c.after or {}
            comps.append(clean({"fullName": a["name"], "active": bool(a.get("active")),
                                    "errorConditionFormula": a["formula"], "errorMessage": a["message"],
                                    "errorDisplayField": a.get("display_field"), "description": a.get("description")}))
        names = [str(c["fullName"]) for c in comps]
        out = self._outcomes(changes, names, self.client.md_write("upsertMetadata", "ValidationRule", comps),
                             "upsert validation rule")
        # A renamed rule (its stage's value changed): the old one goes once the new one stands.
        stale = [str(c.meta["full_name"]) for c, r in zip(changes, out, strict=True)
                 if r is None and c.meta.get("full_name") and str(c.meta["full_name"]).lower() != str(
                     (c.after or {}).get("name", "")).lower()]
        if stale:
            self.client.md_delete("ValidationRule", stale)
        return out

    def delete_rules(self, changes: list[Change]) -> list[Result]:
        names = [str(c.meta.get("full_name") or (c.before or {}).get("name")) for c in changes]
        return self._outcomes(changes, names, self.client.md_delete("ValidationRule", names), "delete validation rule")

    # --- automations -----------------------------------------------------------------------------

    def automations(self, changes: list[Change]) -> list[Result]:
        compiled = [c for c in changes if _automation_kind(c) == "compiled" and c.action is not Action.DELETE]
        out: dict[str, Result] = self._compiled_flows(compiled) if compiled else {}
        for c in changes:
            if c.address in out:
                continue
            try:
                self._one_automation(c)
                out[c.address] = None
            except STOPPERS:
                raise
            except ProviderError as err:
                out[c.address] = err
        return [out[c.address] for c in changes]

    def _compiled_flows(self, changes: list[Change]) -> dict[str, Result]:
        """Deploy the flows whose body changed as inactive versions, then switch each on or off
        through Tooling FlowDefinition. A production org deploys a flow sent as Active inactive
        (unless "Deploy processes and flows as active" is on, which then wants Apex tests), so
        crmconf never asks a deploy to activate: the same two steps work in sandboxes too."""
        names = {c.address: FLOW_PREFIX + addr.name_of(c.address) for c in changes}
        out: dict[str, Result] = self._pilots_granted(changes, names)  # before a flow that reads the permission
        changes = [c for c in changes if out.get(c.address) is None]
        deploy = [c for c in changes if c.action is Action.CREATE or {a.name for a in c.attrs} - {"status", "pilot"}]
        if deploy:
            sent = [names[c.address] for c in deploy]
            results = self.client.md_write("upsertMetadata", "Flow", [_flow_component(c, names[c.address]) for c in deploy])
            out.update(zip((c.address for c in deploy), self._outcomes(deploy, sent, results, "deploy flow"), strict=True))
        deployed = [c for c in changes if out.get(c.address) is None]
        if not deployed:
            return out
        rows = self.client.query(
            "SELECT Id, DeveloperName, ActiveVersionId, LatestVersionId, LatestVersion.VersionNumber FROM FlowDefinition "
            "WHERE DeveloperName IN (" + ", ".join(f"'{names[c.address]}'" for c in deployed) + ")", tooling=True)
        found = {str(r["DeveloperName"]).lower(): r for r in rows}
        for c in deployed:
            row = found.get(names[c.address].lower())
            try:
                if row is None:
                    raise ProviderError(f"flow {names[c.address]} is gone", context=f"salesforce {c.address}")
                self._switch(row, (c.after or {}).get("status") == "active", c.address)
                if pilots.is_piloted((c.before or {}).get("definition")) and not pilots.is_piloted(
                        (c.after or {}).get("definition")):  # widened: the flow no longer reads the permission
                    pilots.revoke(self.client, pilots.permission_of(names[c.address]), f"salesforce {c.address}")
                out[c.address] = None
            except STOPPERS:
                raise
            except ProviderError as err:
                out[c.address] = err
        return out

    def _pilots_granted(self, changes: list[Change], names: Mapping[str, str]) -> dict[str, Result]:
        """Grant each changed pilot to exactly its users (crmconf_salesforce/pilots.py); a refusal fails that
        automation only, and its flow is not deployed."""
        out: dict[str, Result] = {}
        for c in changes:
            pilot = (c.after or {}).get("pilot")
            if not pilot or (c.action is not Action.CREATE and "pilot" not in {a.name for a in c.attrs}):
                continue
            try:
                pilots.grant(self.client, pilots.permission_of(names[c.address]), addr.name_of(c.address),
                             list(pilot.get("users") or []), f"salesforce {c.address}")
            except STOPPERS:
                raise
            except ProviderError as err:
                out[c.address] = err
        return out

    def _switch(self, definition: Mapping[str, Any], active: bool, address: str) -> None:
        """Make a flow's latest version the active one, or deactivate the flow (Tooling FlowDefinition)."""
        latest = definition.get("LatestVersion") or {}
        if active and definition.get("ActiveVersionId") != definition.get("LatestVersionId"):
            number = int(latest.get("VersionNumber") or 0)
            self.client.tooling_patch(f"sobjects/FlowDefinition/{definition['Id']}",
                                      {"Metadata": {"activeVersionNumber": number}}, f"activate flow {address}")
        elif not active and definition.get("ActiveVersionId"):
            self.client.tooling_patch(f"sobjects/FlowDefinition/{definition['Id']}",
                                      {"Metadata": {"activeVersionNumber": 0}}, f"deactivate flow {address}")

    def _definition(self, api: str, context: str) -> dict[str, Any]:
        rows = self.client.query(
            "SELECT Id, DeveloperName, ActiveVersionId, LatestVersionId, LatestVersion.VersionNumber FROM FlowDefinition "
            f"WHERE DeveloperName = '{api}'", tooling=True)
        if not rows:
            raise ProviderError(f"flow {api} is gone", context=context)
        return rows[0]

    def _one_automation(self, c: Change) -> None:
        kind = _automation_kind(c)
        api = str(c.meta.get("api_name") or addr.name_of(c.address))
        context = f"salesforce {c.address}"
        if c.action is Action.CREATE:
            raise ProviderError(
                f"the org has no {'workflow rule' if kind == 'workflow_rule' else 'flow'} named {api}; a bound "
                "automation is inventoried, not created: fix `binds`, or build it in Salesforce", context=context)
        if c.action is Action.DELETE:
            if kind != "compiled":
                raise ProviderError("crmconf never deletes flows or workflow rules it did not build", context=context)
            if c.meta.get("active_version_id"):
                self.client.tooling_patch(f"sobjects/FlowDefinition/{c.meta['definition_id']}",
                                          {"Metadata": {"activeVersionNumber": 0}}, "deactivate flow")
            _check(self.client.md_delete("Flow", [api]), context)
            return
        changed = {a.name for a in c.attrs}
        after = c.after or {}
        if kind == "workflow_rule":
            self._workflow_rule(c, api, after, context)
            return
        redeployed = "description" in changed and self._flow_description(c, api, after.get("description"), context)
        if "status" in changed or redeployed:
            # A redeployed version is inactive (as every deploy to production): switch the flow to
            # what the spec says, or back to what it was when only the description changed.
            status = after.get("status") if "status" in changed else (c.before or {}).get("status")
            self._switch(self._definition(api, context), status == "active", c.address)

    def _workflow_rule(self, c: Change, api: str, after: Mapping[str, Any], context: str) -> None:
        if after.get("status") == "active":
            raise ProviderError("workflow rules are retired: crmconf only deactivates them; rebuild it as a flow",
                                context=context)
        live = self.client.md_read("WorkflowRule", [api])[0]
        if live is None:
            raise ProviderError(f"workflow rule {api} is gone", context=context)
        _check(self.client.md_write("updateMetadata", "WorkflowRule", [{**clean(live), "active": False}]), context)

    def _flow_description(self, c: Change, api: str, description: Any, context: str) -> bool:
        """A description lives on a flow version: write it to the latest version, keeping its state.

        The latest version is the one FlowDefinitionView describes. It is redeployed as a draft (a
        new version of an active or obsolete one, the draft itself rewritten in place); True when
        the latest version was the active one, which the caller then activates again.
        """
        latest = self.client.md_read("Flow", [api])[0]
        if latest is None:
            raise ProviderError(f"flow {api} is gone", context=context)
        is_active_latest = bool(c.meta.get("active_version_id")) and c.meta.get("active_version_id") == c.meta.get(
            "latest_version_id")
        status = "InvalidDraft" if latest.get("status") == "InvalidDraft" else "Draft"
        comp = {**clean(latest), "description": description, "status": status}
        _check(self.client.md_write("upsertMetadata", "Flow", [clean(comp)]), context)
        return is_active_latest

    # --- permissions -----------------------------------------------------------------------------

    def upsert_permissions(self, changes: list[Change]) -> list[Result]:
        names = [str(c.meta.get("api_name") or title_name(_name(c.address))) for c in changes]
        updates = [n for c, n in zip(changes, names, strict=True) if c.action is Action.UPDATE]
        live = dict(zip((n.lower() for n in updates), self.client.md_read("PermissionSet", updates), strict=True))
        state = self.state()
        required = state.required if state else set()
        comps = [_permission_component(c, n, live.get(n.lower()), required) for c, n in zip(changes, names, strict=True)]
        return self._outcomes(changes, names, self.client.md_write("upsertMetadata", "PermissionSet", comps),
                              "upsert permission set")

    def delete_permissions(self, changes: list[Change]) -> list[Result]:
        names = [str(c.meta.get("api_name") or title_name(_name(c.address))) for c in changes]
        return self._outcomes(changes, names, self.client.md_delete("PermissionSet", names), "delete permission set")


def _check(results: list[Any], context: str) -> None:
    if not results or not results[0].ok:
        raise ProviderError(results[0].message if results else "no result", context=context)


def _field_component(change: Change, name: str, live: Mapping[str, Any] | None) -> dict[str, Any]:
    after = change.after or {}
    spec_type = str(after["type"])
    sf_type, extras = FIELD_TYPES[spec_type]
    comp: dict[str, Any] = clean(dict(live)) if live else {"type": sf_type, **extras}
    comp.update(fullName=name, label=after["label"], required=bool(after.get("required")))
    if live is None or change.action is Action.REPLACE:
        comp.update(type=sf_type, **extras)
    comp.pop("inlineHelpText", None)
    if after.get("help_text"):
        comp["inlineHelpText"] = after["help_text"]
    if spec_type in UNIQUE_TYPES:
        comp["unique"] = bool(after.get("unique"))
    options = after.get("options")
    if options:
        live_set = (comp.get("valueSet") or {}).get("valueSetName")
        if live_set:
            if (change.before or {}).get("options") != options:
                raise ProviderError(
                    f"its values come from the global value set {live_set}; crmconf does not edit global value sets "
                    "(other fields share them): change the values in Setup", context=f"salesforce field {name}")
        else:
            # A value the spec drops is deactivated, never removed: records may still hold it, and
            # Salesforce refuses to remove a value in use (fetch leaves such retired values out).
            wanted = {str(o["value"]).lower() for o in options}
            live_values = ((comp.get("valueSet") or {}).get("valueSetDefinition") or {}).get("value") or []
            retired = [{**clean(dict(v)), "isActive": False, "default": False} for v in live_values
                       if str(v.get("fullName")).lower() not in wanted]
            comp["valueSet"] = {"restricted": True, "valueSetDefinition": {"sorted": False, "value": [
                {"fullName": o["value"], "label": o.get("label") or o["value"], "default": False,
                 "isActive": not o.get("hidden")} for o in options] + retired}}
    return comp


def _flow_component(change: Change, name: str) -> dict[str, Any]:
    """Always a draft: activation is a separate Tooling call (Applier._compiled_flows)."""
    after = change.after or {}
    return clean({**after["definition"], "fullName": name, "status": "Draft", "description": after.get("description")})


def _permission_component(change: Change, name: str, live: Mapping[str, Any] | None,
                          required: set[str]) -> dict[str, Any]:
    after = change.after or {}
    comp: dict[str, Any] = clean(dict(live)) if live else {}
    comp.update(fullName=name, label=after["label"])
    if "description" in after:
        comp["description"] = after["description"]
    objects = {str(o["object"]): o for o in comp.get("objectPermissions") or []}
    # A field the spec makes required takes no field-level security: a grant left on it from before
    # would make Salesforce refuse the whole permission set.
    fields = {str(f["field"]).lower(): f for f in comp.get("fieldPermissions") or []
              if str(f["field"]).lower() not in required}
    for key, value in after.items():
        kind, _, ref = key.partition(".")
        if kind == "objects":
            sobject = OBJECTS[ref]
            if value:
                objects[sobject] = {"object": sobject, **{flag: a in value for a, flag in ACCESS_FLAGS.items()}}
            else:
                objects.pop(sobject, None)
        elif kind == "fields":
            obj, _, field = ref.partition(".")
            api = field_api(obj, field)
            full = f"{OBJECTS[obj]}.{api}"
            if value in ("read", "edit"):
                fields[full.lower()] = {"field": full, "readable": True, "editable": value == "edit"}
            else:
                fields.pop(full.lower(), None)
    for obj, needs in CROSS_OBJECT.items():  # what Salesforce insists on (compile warned, V608)
        if any(v for k, v in objects.get(OBJECTS[obj], {}).items() if k != "object"):
            for need in needs:
                grant = objects.setdefault(OBJECTS[need], {"object": OBJECTS[need], **{f: False for f in ACCESS_FLAGS.values()}})
                grant["allowRead"] = True
    comp["objectPermissions"] = list(objects.values())
    comp["fieldPermissions"] = list(fields.values())
    return comp
