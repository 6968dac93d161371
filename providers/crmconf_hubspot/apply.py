"""Changes -> HubSpot calls. Every write is idempotent by construction or reconciled by reading back.

- PUT/DELETE and "set to this value" batch updates are safe to repeat: the client retries them.
- POST creates and PATCHes go through `Client.write`: when their answer is lost, the object is read
  back (property by name, pipeline by label, stage by label, flow by its `[crmconf] <name>` name) and
  sent again only if the first attempt did not land. A 409 "already exists" is adopted, then updated.
- Creates are idempotent across runs too (two applies, a run cut short): a workflow, whose name HubSpot
  does not keep unique, is looked up by its `[crmconf] <name>` before it is created and adopted when
  found; a pipeline, stage, property or group HubSpot refuses as a duplicate is adopted and written to
  the spec (apply_flows, apply_pipelines).
- Batch answers (207) are handled per item: transient item errors are retried, "already archived"
  counts as done, anything else fails that change alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hubspot.crm.properties import (
    BatchInputPropertyCreate,
    BatchInputPropertyName,
    BatchReadInputPropertyName,
    Configuration,
    OptionInput,
    PropertyCreate,
    PropertyGroupCreate,
    PropertyName,
    PropertyUpdate,
)

from crmconf.engine.changes import Action, Change
from crmconf.errors import ProviderError
from crmconf_hubspot import scopes
from crmconf_hubspot.apply_common import (
    TRANSIENT,
    context,
    item_name,
    item_name_raw,
    matches,
    split,
)
from crmconf_hubspot.apply_flows import FlowWrites
from crmconf_hubspot.apply_pipelines import BATCH, PipelineWrites
from crmconf_hubspot.client import Client, MissingScopes, Refused
from crmconf_hubspot.compile import Desired
from crmconf_hubspot.fetch_fields import PHONE_RULE
from crmconf_hubspot.mapping import (
    BOOL_OPTIONS,
    HUBSPOT_TYPES,
    OBJECT_TYPE_IDS,
    OBJECT_TYPES,
    options_of,
)
from crmconf_hubspot.registry import Registry, field_live_attrs, property_record


@dataclass
class State:
    client: Client
    desired: Desired
    registry: Registry






class Applier(PipelineWrites, FlowWrites):
    def __init__(self, state: State) -> None:
        self.client, self.desired, self.registry = state.client, state.desired, state.registry

    def apply(self, change: Change) -> None:
        handlers: dict[tuple[str, Action], Callable[[Change], None]] = {
            ("field", Action.CREATE): self.create_field, ("field", Action.UPDATE): self.update_field,
            ("field", Action.DELETE): self.delete_field,
            ("pipeline", Action.CREATE): self.create_pipeline, ("pipeline", Action.UPDATE): self.update_pipeline,
            ("pipeline", Action.DELETE): self.delete_pipeline, ("pipeline", Action.REPLACE): self.replace_pipeline,
            ("stage", Action.CREATE): self.create_stage, ("stage", Action.UPDATE): self.put_stage,
            ("stage", Action.DELETE): self.delete_stage,
            ("automation", Action.CREATE): self.create_flow, ("automation", Action.UPDATE): self.update_flow,
            ("automation", Action.DELETE): self.delete_flow, ("automation", Action.REPLACE): self.replace_flow,
        }
        handler = handlers.get((change.kind, change.action))
        if handler is None:
            raise ProviderError(f"HubSpot cannot {change.action.value} a {change.kind} this way", context=context(change))
        handler(change)

    # --- property groups ------------------------------------------------------------------------

    def ensure_group(self, obj: str, group: str) -> None:
        if (obj, group) in self.registry.groups:
            return
        api = self.client.api("groups")
        body = PropertyGroupCreate(name=group, label=group.replace("_", " ").title(), display_order=-1)

        def found() -> bool | None:
            try:
                self.client.call(f"read group {group}", api.get_by_name, OBJECT_TYPES[obj], group, idempotent=True)
            except Refused as exc:
                if exc.status == 404:
                    return None
                raise
            return True

        try:
            self.client.write(f"create group {obj}.{group}",
                              lambda: self.client.call(f"create group {obj}.{group}", api.create, OBJECT_TYPES[obj], body,
                                                       idempotent=False), found)
        except Refused as exc:
            if exc.status != 409:  # already there: exactly what we wanted
                raise
        self.registry.groups.add((obj, group))

    # --- fields -----------------------------------------------------------------------------------

    def _options(self, obj: str, name: str, options: list[Mapping[str, Any]]) -> list[OptionInput]:
        """Options in spec order; descriptions written in HubSpot are kept, since the spec has none."""
        current = {o["value"]: o for o in (self.registry.properties.get((obj, name)) or {}).get("options", [])}
        return [OptionInput(label=o["label"], value=o["value"], hidden=bool(o["hidden"]), display_order=i,
                            description=str(current.get(o["value"], {}).get("description") or ""))
                for i, o in enumerate(options)]

    def _create_body(self, obj: str, name: str, attrs: Mapping[str, Any]) -> PropertyCreate:
        hs_type, field_type = HUBSPOT_TYPES[str(attrs["type"])]
        options = attrs.get("options") or (BOOL_OPTIONS if hs_type == "bool" else None)
        return PropertyCreate(
            name=name, label=attrs["label"], type=hs_type, field_type=field_type, group_name=attrs["group"],
            description=attrs.get("help_text") or "", has_unique_value=bool(attrs.get("unique")),
            options=[OptionInput(label=o["label"], value=o["value"], hidden=bool(o.get("hidden")), display_order=i)
                     for i, o in enumerate(options)] if options else None, form_field=True,
            local_vars_configuration=_model_config(field_type))

    def put_rule(self, obj: str, name: str, change: Change) -> None:
        """The phone-format validation rule (a PUT overwrites the rule of its type: safe to repeat)."""
        path = f"/crm/v3/property-validations/{OBJECT_TYPE_IDS[obj]}/{name}/rule-type/{PHONE_RULE}"
        self.client.raw("PUT", path, body={"ruleArguments": []}, idempotent=True)
        self.registry.rules.setdefault((obj, name), []).append(PHONE_RULE)

    def _read_property(self, obj: str, name: str) -> dict[str, Any] | None:
        try:
            prop = self.client.call(f"read property {obj}.{name}", self.client.api("properties").get_by_name,
                                    OBJECT_TYPES[obj], name, idempotent=True)
        except Refused as exc:
            if exc.status == 404:
                return None
            raise
        return property_record(prop)

    def _remember(self, obj: str, raw: dict[str, Any]) -> None:
        self.registry.properties[(obj, raw["name"])] = raw
        self.registry.groups.add((obj, raw["groupName"]))

    def create_field(self, change: Change) -> None:
        obj, name = split(change.address)
        attrs = change.after or {}
        if "type" not in attrs:  # a standard field: HubSpot defines it, crmconf only sets its options
            raise ProviderError(f"the HubSpot-defined property behind {change.address} does not exist in this "
                                "portal (its hub may not be enabled)", context=context(change))
        self._create_field(obj, name, attrs, change)
        if attrs.get("format"):
            self.put_rule(obj, name, change)

    def _create_field(self, obj: str, name: str, attrs: Mapping[str, Any], change: Change) -> None:
        self.ensure_group(obj, str(attrs["group"]))
        api = self.client.api("properties")
        body = self._create_body(obj, name, attrs)
        try:
            created = self.client.write(
                f"create property {obj}.{name}",
                lambda: property_record(self.client.call(f"create property {obj}.{name}", api.create,
                                                         OBJECT_TYPES[obj], body, idempotent=False)),
                lambda: self._read_property(obj, name))
        except Refused as exc:
            if exc.category != "OBJECT_ALREADY_EXISTS" and exc.status != 409:
                raise
            created = self._adopt_property(obj, name)
        self._remember(obj, created)
        wanted = {k: v for k, v in attrs.items() if k != "format"}
        if not matches(field_live_attrs(created), wanted):  # adopted from an earlier, lost attempt
            self._patch_property(obj, name, wanted, change)

    def _adopt_property(self, obj: str, name: str) -> dict[str, Any]:
        try:
            found = self._read_property(obj, name)
        except MissingScopes as exc:
            # Taken by a property this token may not read: a sensitive one (listed only with dataSensitivity).
            raise ProviderError(
                f"HubSpot already has a sensitive property named {name} on {OBJECT_TYPES[obj]}, which this token "
                f"cannot read: grant the private app `{scopes.sensitive(obj)}` (and its .write) so crmconf can "
                "manage it, or pick another field name", context=f"hubspot: create field.{obj}.{name}") from exc
        if found is None or found["hubspotDefined"]:
            raise ProviderError(f"HubSpot already has a property named {name} on {OBJECT_TYPES[obj]} that crmconf "
                                "cannot take over (HubSpot's own, or archived: archived names stay taken until "
                                "restored under Settings \u203a Properties \u203a Archived properties); restore it or "
                                "pick another field name", context=f"hubspot: create field.{obj}.{name}")
        return found

    def update_field(self, change: Change) -> None:
        obj, _ = split(change.address)
        self._patch_property(obj, self._hubspot_name(change), change.after or {}, change,
                             only={a.name for a in change.attrs})

    def _hubspot_name(self, change: Change) -> str:
        return str(change.meta.get("name") or split(change.address)[1])

    def _patch_property(self, obj: str, name: str, attrs: Mapping[str, Any], change: Change,
                        only: set[str] | None = None) -> None:
        keys = (set(attrs) if only is None else only) - {"format"}
        if only is not None and "format" in only and attrs.get("format"):
            self.put_rule(obj, name, change)
        if "unique" in keys and only is not None:
            raise ProviderError("HubSpot cannot change whether an existing property requires unique values; "
                                "create a new field instead", context=context(change))
        body: dict[str, Any] = {}
        if "label" in keys:
            body["label"] = attrs["label"]
        if "help_text" in keys:
            body["description"] = attrs.get("help_text") or ""
        if "group" in keys:
            self.ensure_group(obj, str(attrs["group"]))
            body["group_name"] = attrs["group"]
        if "type" in keys:
            body["type"], body["field_type"] = HUBSPOT_TYPES[str(attrs["type"])]
        if "options" in keys and attrs.get("options") is not None:
            body["options"] = self._options(obj, name, attrs["options"])
        if not body:
            return
        api = self.client.api("properties")
        wanted = {k: attrs[k] for k in keys if k in attrs and k != "unique"}
        patch = PropertyUpdate(**body, local_vars_configuration=_model_config(str(body.get("field_type", ""))))

        def landed() -> dict[str, Any] | None:
            found = self._read_property(obj, name)
            if found is None:
                return None
            live = field_live_attrs(found) if not found["hubspotDefined"] else {"options": options_of(found["options"])}
            return found if matches(live, wanted) else None

        updated = self.client.write(
            f"update property {obj}.{name}",
            lambda: property_record(self.client.call(f"update property {obj}.{name}", api.update, OBJECT_TYPES[obj],
                                                     name, patch, idempotent=False)),
            landed)
        self._remember(obj, updated)

    def delete_field(self, change: Change) -> None:
        obj, _ = split(change.address)
        name = self._hubspot_name(change)
        try:
            self.client.call(f"archive property {obj}.{name}", self.client.api("properties").archive,
                             OBJECT_TYPES[obj], name, idempotent=True)
        except Refused as exc:
            if exc.status != 404:  # already archived (perhaps by an attempt whose answer was lost)
                raise
        self.registry.properties.pop((obj, name), None)

    # --- fields in batches --------------------------------------------------------------------------

    def apply_batch(self, changes: list[Change]) -> list[ProviderError | None]:
        results: dict[str, ProviderError | None] = {}
        by_object: dict[str, list[Change]] = {}
        for change in changes:
            by_object.setdefault(split(change.address)[0], []).append(change)
        for obj, group in by_object.items():
            for start in range(0, len(group), BATCH):
                chunk = group[start:start + BATCH]
                try:
                    if chunk[0].action is Action.CREATE:
                        results.update(self._batch_create(obj, chunk))
                    else:
                        results.update(self._batch_archive(obj, chunk))
                except ProviderError as exc:
                    results.update(dict.fromkeys((c.address for c in chunk), exc))
        return [results.get(c.address) for c in changes]

    def _batch_create(self, obj: str, changes: list[Change]) -> dict[str, ProviderError | None]:
        for change in changes:
            self.ensure_group(obj, str((change.after or {})["group"]))
        pending: dict[str, Change] = {split(c.address)[1]: c for c in changes}
        outcome: dict[str, ProviderError | None] = {}
        for _ in range(self.client.policy.max_attempts):
            if not pending:
                break
            reply = self._batch_create_round(obj, pending)
            for prop in reply.results or []:
                raw = property_record(prop)
                self._remember(obj, raw)
                created = pending.pop(raw["name"], None)
                if created is not None:
                    outcome[created.address] = self._single(self._rule_after_create, created)
            for error in getattr(reply, "errors", None) or []:  # only 207 answers carry errors
                failed = pending.get(item_name(error))
                if failed is None or error.category in TRANSIENT:
                    continue  # a transient item failure stays pending: sent again in the next round
                del pending[item_name(error)]
                if error.category == "OBJECT_ALREADY_EXISTS":
                    outcome[failed.address] = self._single(self.create_field, failed)
                else:
                    outcome[failed.address] = ProviderError(f"{error.message} ({error.category})",
                                                            context=context(failed))
        for change in pending.values():
            outcome[change.address] = ProviderError("HubSpot kept failing this item of the batch",
                                                    context=context(change), retryable=True)
        return outcome

    def _rule_after_create(self, change: Change) -> None:
        if (change.after or {}).get("format"):
            self.put_rule(*split(change.address), change)

    def _batch_create_round(self, obj: str, pending: Mapping[str, Change]) -> Any:
        api = self.client.api("property_batch")
        names = list(pending)
        body = BatchInputPropertyCreate(inputs=[self._create_body(obj, n, c.after or {}) for n, c in pending.items()])

        def send() -> Any:
            return self.client.call("batch create properties", api.create, OBJECT_TYPES[obj], body, idempotent=False)

        return self.client.write(f"batch create {len(names)} {OBJECT_TYPES[obj]} properties", send,
                                 lambda: self._batch_landed(obj, names))

    def _batch_landed(self, obj: str, names: list[str]) -> Any:
        """After a lost batch-create answer: what exists now counts as created; the rest is sent again."""
        reply = self.client.call("batch read properties", self.client.api("property_batch").read, OBJECT_TYPES[obj],
                                 BatchReadInputPropertyName(archived=False, inputs=[PropertyName(name=n) for n in names]),
                                 idempotent=True)
        return _Landed(reply.results or []) if reply.results else None

    @staticmethod
    def _single(run: Callable[[Change], None], change: Change) -> ProviderError | None:
        try:
            run(change)
        except ProviderError as exc:
            return exc
        return None

    def _batch_archive(self, obj: str, changes: list[Change]) -> dict[str, ProviderError | None]:
        pending = {self._hubspot_name(c): c for c in changes}
        outcome: dict[str, ProviderError | None] = {}
        api = self.client.api("property_batch")
        for _ in range(self.client.policy.max_attempts):
            if not pending:
                break
            body = BatchInputPropertyName(inputs=[PropertyName(name=n) for n in pending])
            # Archiving is idempotent (a second archive answers "not found", which counts as done).
            raw = self.client.call(f"batch archive {len(pending)} {OBJECT_TYPES[obj]} properties", api.archive,
                                   OBJECT_TYPES[obj], body, idempotent=True, _preload_content=False)
            errors: list[dict[str, Any]] = (json.loads(raw.data).get("errors", [])
                                            if raw.status == 207 and raw.data else [])
            failed = {item_name_raw(error): error for error in errors}
            for name in list(pending):
                error = failed.get(name)
                if error is None or error.get("category") == "OBJECT_NOT_FOUND":
                    outcome[pending.pop(name).address] = None
                    self.registry.properties.pop((obj, name), None)
                elif error.get("category") not in TRANSIENT:
                    change = pending.pop(name)
                    outcome[change.address] = ProviderError(f"{error.get('message')} ({error.get('category')})",
                                                            context=context(change))
        for change in pending.values():
            outcome[change.address] = ProviderError("HubSpot kept failing this item of the batch",
                                                    context=context(change), retryable=True)
        return outcome

def _model_config(field_type: str) -> Configuration | None:
    """Client 12.0.0's models predate the `phonenumber` field type HubSpot documents (the one its phone
    validation rule applies to): such a body is built without the client's enum check, nothing else is."""
    if field_type != "phonenumber":
        return None
    config = Configuration()
    config.client_side_validation = False
    return config


class _Landed:
    """A batch-create reply rebuilt from a read-back: every property found counts as created."""

    def __init__(self, results: list[Any]) -> None:
        self.results: list[Any] = results
        self.errors: list[Any] = []
