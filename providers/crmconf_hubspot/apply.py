"""Changes -> HubSpot calls. Every write is idempotent by construction or reconciled by reading back.

- PUT/DELETE and "set to this value" batch updates are safe to repeat: the client retries them.
- POST creates and PATCHes go through `Client.write`: when their answer is lost, the object is read
  back (property by name, pipeline by label, stage by label, flow by its `[crmconf] <name>` name) and
  sent again only if the first attempt did not land. A 409 "already exists" is adopted, then updated.
- Batch answers (207) are handled per item: transient item errors are retried, "already archived"
  counts as done, anything else fails that change alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInput,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInput,
)
from hubspot.crm.pipelines import PipelineInput, PipelinePatchInput, PipelineStageInput
from hubspot.crm.properties import (
    BatchInputPropertyCreate,
    BatchInputPropertyName,
    BatchReadInputPropertyName,
    OptionInput,
    PropertyCreate,
    PropertyGroupCreate,
    PropertyName,
    PropertyUpdate,
)

from crmconf import address as addr
from crmconf.engine.changes import Action, Change
from crmconf.engine.diff import same
from crmconf.errors import ProviderError
from crmconf_hubspot import flows
from crmconf_hubspot.client import Client, Refused
from crmconf_hubspot.compile import Desired
from crmconf_hubspot.fetch import BATCH, PipelineRef, Registry, StageRef, field_live_attrs, property_record
from crmconf_hubspot.mapping import (
    BOOL_OPTIONS,
    HUBSPOT_TYPES,
    OBJECT_TYPES,
    PIPELINE_PROPERTIES,
    flow_name,
    options_of,
    stage_metadata,
)

TRANSIENT = {"INTERNAL_ERROR", "RATE_LIMITS", "TIMEOUT"}


@dataclass
class State:
    client: Client
    desired: Desired
    registry: Registry


def _split(address: str) -> tuple[str, str]:
    _, obj, name = address.split(".", 2)
    return obj, name


def _context(change: Change) -> str:
    return f"hubspot: {change.action.value} {change.address}"


class Applier:
    def __init__(self, state: State) -> None:
        self.s = state
        self.client = state.client

    @property
    def registry(self) -> Registry:
        return self.s.registry

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
            raise ProviderError(f"HubSpot cannot {change.action.value} a {change.kind} this way", context=_context(change))
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
                     for i, o in enumerate(options)] if options else None, form_field=True)

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
        obj, name = _split(change.address)
        attrs = change.after or {}
        if "type" not in attrs:  # a standard field: HubSpot defines it, crmconf only sets its options
            raise ProviderError(f"the HubSpot-defined property behind {change.address} does not exist in this "
                                "portal (its hub may not be enabled)", context=_context(change))
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
        if not _matches(field_live_attrs(created), attrs):  # adopted from an earlier, lost attempt
            self._patch_property(obj, name, attrs, change)

    def _adopt_property(self, obj: str, name: str) -> dict[str, Any]:
        found = self._read_property(obj, name)
        if found is None or found["hubspotDefined"]:
            raise ProviderError(f"HubSpot already has a property named {name} on {OBJECT_TYPES[obj]} that crmconf "
                                "cannot take over (HubSpot's own, or archived: archived names stay taken until "
                                "restored under Settings \u203a Properties \u203a Archived properties); restore it or "
                                "pick another field name", context=f"hubspot: create field.{obj}.{name}")
        return found

    def update_field(self, change: Change) -> None:
        obj, _ = _split(change.address)
        self._patch_property(obj, self._hubspot_name(change), change.after or {}, change,
                             only={a.name for a in change.attrs})

    def _hubspot_name(self, change: Change) -> str:
        return str(change.meta.get("name") or _split(change.address)[1])

    def _patch_property(self, obj: str, name: str, attrs: Mapping[str, Any], change: Change,
                        only: set[str] | None = None) -> None:
        keys = set(attrs) if only is None else only
        if "unique" in keys and only is not None:
            raise ProviderError("HubSpot cannot change whether an existing property requires unique values; "
                                "create a new field instead", context=_context(change))
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

        def landed() -> dict[str, Any] | None:
            found = self._read_property(obj, name)
            if found is None:
                return None
            live = field_live_attrs(found) if not found["hubspotDefined"] else {"options": options_of(found["options"])}
            return found if _matches(live, wanted) else None

        updated = self.client.write(
            f"update property {obj}.{name}",
            lambda: property_record(self.client.call(f"update property {obj}.{name}", api.update, OBJECT_TYPES[obj],
                                                     name, PropertyUpdate(**body), idempotent=False)),
            landed)
        self._remember(obj, updated)

    def delete_field(self, change: Change) -> None:
        obj, _ = _split(change.address)
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
            by_object.setdefault(_split(change.address)[0], []).append(change)
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
        pending: dict[str, Change] = {_split(c.address)[1]: c for c in changes}
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
                    outcome[created.address] = None
            for error in getattr(reply, "errors", None) or []:  # only 207 answers carry errors
                failed = pending.get(_item_name(error))
                if failed is None or error.category in TRANSIENT:
                    continue  # a transient item failure stays pending: sent again in the next round
                del pending[_item_name(error)]
                if error.category == "OBJECT_ALREADY_EXISTS":
                    outcome[failed.address] = self._single(self.create_field, failed)
                else:
                    outcome[failed.address] = ProviderError(f"{error.message} ({error.category})",
                                                            context=_context(failed))
        for change in pending.values():
            outcome[change.address] = ProviderError("HubSpot kept failing this item of the batch",
                                                    context=_context(change), retryable=True)
        return outcome

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
            failed = {_item_name_raw(error): error for error in errors}
            for name in list(pending):
                error = failed.get(name)
                if error is None or error.get("category") == "OBJECT_NOT_FOUND":
                    outcome[pending.pop(name).address] = None
                    self.registry.properties.pop((obj, name), None)
                elif error.get("category") not in TRANSIENT:
                    change = pending.pop(name)
                    outcome[change.address] = ProviderError(f"{error.get('message')} ({error.get('category')})",
                                                            context=_context(change))
        for change in pending.values():
            outcome[change.address] = ProviderError("HubSpot kept failing this item of the batch",
                                                    context=_context(change), retryable=True)
        return outcome

    # --- pipelines --------------------------------------------------------------------------------

    def _pipeline_ref(self, address: str, change: Change) -> PipelineRef:
        ref = self.registry.pipelines.get(address)
        if ref is None:
            raise ProviderError(f"{address} is not in HubSpot (yet)", context=_context(change))
        return ref

    def _stage_input(self, obj: str, attrs: Mapping[str, Any]) -> PipelineStageInput:
        return PipelineStageInput(label=attrs["label"], display_order=int(attrs["position"]),
                                  metadata=stage_metadata(obj, attrs.get("probability"), attrs.get("outcome")))

    def _find_pipeline(self, obj: str, label: str) -> Any:
        pipelines = self.client.call(f"list {OBJECT_TYPES[obj]} pipelines", self.client.api("pipelines").get_all,
                                     OBJECT_TYPES[obj], idempotent=True).results
        return next((p for p in pipelines if p.label == label), None)

    def create_pipeline(self, change: Change) -> None:
        attrs = change.after or {}
        obj, label = str(attrs["object"]), str(attrs["label"])
        stages = sorted((r for r in self.s.desired.resources.values() if r.parent == change.address),
                        key=lambda r: int(r.attrs["position"]))
        if not stages:
            raise ProviderError("a HubSpot pipeline needs at least one stage", context=_context(change))
        order = sum(1 for p in self.registry.pipelines.values() if p.obj == obj)
        body = PipelineInput(label=label, display_order=order,
                             stages=[self._stage_input(obj, s.attrs) for s in stages])
        api = self.client.api("pipelines")
        try:
            created = self.client.write(
                f"create pipeline {label}",
                lambda: self.client.call(f"create pipeline {label}", api.create, OBJECT_TYPES[obj], body,
                                         idempotent=False),
                lambda: self._find_pipeline(obj, label))
        except Refused as exc:
            if exc.status != 409:
                raise
            created = self._find_pipeline(obj, label)  # a pipeline of that label is the one we mean
            if created is None:
                raise
        self.registry.pipelines[change.address] = PipelineRef(created.id, obj, label)
        by_label = {s.label: s.id for s in created.stages or []}
        for stage in stages:
            if stage.attrs["label"] in by_label:
                self.registry.stages[stage.address] = StageRef(by_label[stage.attrs["label"]], change.address, obj,
                                                               str(stage.attrs["label"]), fresh=True)

    def update_pipeline(self, change: Change) -> None:
        ref = self._pipeline_ref(change.address, change)
        label = str((change.after or {})["label"])
        # Setting a label twice is harmless, so a lost answer is simply sent again (PATCH, absolute value).
        self.client.write(
            f"relabel pipeline {ref.label}",
            lambda: self.client.call(f"relabel pipeline {ref.label}", self.client.api("pipelines").update,
                                     OBJECT_TYPES[ref.obj], ref.id, PipelinePatchInput(label=label), idempotent=False),
            lambda: self._find_pipeline(ref.obj, label))
        ref.label = label

    def delete_pipeline(self, change: Change) -> None:
        ref = self._pipeline_ref(change.address, change)
        flag = ("validate_deal_stage_usages_before_delete" if ref.obj == "deal"
                else "validate_references_before_delete")
        try:
            self.client.call(f"archive pipeline {ref.label}", self.client.api("pipelines").archive,
                             OBJECT_TYPES[ref.obj], ref.id, idempotent=True, **{flag: True})
        except Refused as exc:
            if exc.status != 404:
                raise
        self.registry.pipelines.pop(change.address, None)

    def replace_pipeline(self, change: Change) -> None:
        self.delete_pipeline(change)
        self.create_pipeline(change)

    # --- stages -----------------------------------------------------------------------------------

    def create_stage(self, change: Change) -> None:
        attrs = change.after or {}
        existing = self.registry.stages.get(change.address)
        if existing is not None:  # created with its pipeline moments ago (or adopted): nothing left to send
            if not existing.fresh:
                self.put_stage(change)
            return
        pipeline = self._pipeline_ref(str(change.parent), change)
        api = self.client.api("stages")
        body = self._stage_input(pipeline.obj, attrs)

        def landed() -> Any:
            stages = self.client.call(f"list stages of {pipeline.label}", api.get_all, OBJECT_TYPES[pipeline.obj],
                                      pipeline.id, idempotent=True).results
            return next((s for s in stages if s.label == attrs["label"]), None)

        created = self.client.write(
            f"create stage {attrs['label']}",
            lambda: self.client.call(f"create stage {attrs['label']}", api.create, OBJECT_TYPES[pipeline.obj],
                                     pipeline.id, body, idempotent=False),
            landed)
        self.registry.stages[change.address] = StageRef(created.id, str(change.parent), pipeline.obj,
                                                        str(attrs["label"]))

    def put_stage(self, change: Change) -> None:
        """Replace (PUT) the whole stage: label, order and metadata; idempotent, so simply retried."""
        stage = self.registry.stages.get(change.address)
        if stage is None:
            raise ProviderError(f"{change.address} is not in HubSpot", context=_context(change))
        pipeline = self.registry.pipelines[stage.pipeline]
        attrs = dict(change.after or {})
        if stage.display_order is not None and "position" not in {a.name for a in change.attrs}:
            # Not moved: keep HubSpot's displayOrder, which fetch counted on when it ranked the stages.
            attrs["position"] = stage.display_order
        self.client.call(f"replace stage {stage.label}", self.client.api("stages").replace,
                         OBJECT_TYPES[stage.obj], pipeline.id, stage.id, self._stage_input(stage.obj, attrs),
                         idempotent=True)
        stage.label = str(attrs["label"])
        stage.display_order = int(attrs["position"])

    def delete_stage(self, change: Change) -> None:
        stage = self.registry.stages.get(change.address)
        if stage is None:
            return  # already gone
        if change.parent not in self.s.desired.resources:
            return  # the whole pipeline is pruned: archiving it removes its stages
        pipeline = self.registry.pipelines[stage.pipeline]
        self._move_records(stage, pipeline, change)
        try:
            self.client.call(f"archive stage {stage.label}", self.client.api("stages").archive,
                             OBJECT_TYPES[stage.obj], pipeline.id, stage.id, idempotent=True)
        except Refused as exc:
            if exc.status != 404:
                raise
        self.registry.stages.pop(change.address, None)

    def _move_records(self, stage: StageRef, pipeline: PipelineRef, change: Change) -> None:
        """Every record in the stage moves to `migrate_to` first (HubSpot refuses to drop a stage in use)."""
        pipe_prop, stage_prop = PIPELINE_PROPERTIES[stage.obj]
        obj_type = OBJECT_TYPES[stage.obj]
        ids = self._records_in(obj_type, stage_prop, stage.id)
        if not ids:
            return
        target = self.registry.stages.get(change.migrate_to or "")
        if target is None:
            raise ProviderError(f"{len(ids)} record(s) still sit in this stage and the spec names no stage to move "
                                "them to (migrate_to)", context=_context(change))
        values = {stage_prop: target.id, pipe_prop: self.registry.pipelines[target.pipeline].id}
        api = self.client.api("records")
        pending = list(ids)
        for _ in range(self.client.policy.max_attempts):
            if not pending:
                return
            failed: list[str] = []
            for start in range(0, len(pending), BATCH):
                chunk = pending[start:start + BATCH]
                batch = BatchInputSimplePublicObjectBatchInput(
                    inputs=[SimplePublicObjectBatchInput(id=rid, properties=values) for rid in chunk])
                # Setting the same stage twice changes nothing: safe to repeat.
                reply = self.client.call(f"move {len(chunk)} {obj_type} to {target.label}", api.update, obj_type,
                                         batch, idempotent=True)
                for error in getattr(reply, "errors", None) or []:  # only 207 answers carry errors
                    if error.category in TRANSIENT:
                        failed.extend(_item_ids(error))
                    else:
                        raise ProviderError(f"moving records failed: {error.message} ({error.category})",
                                            context=_context(change))
            pending = failed
        raise ProviderError(f"{len(pending)} record(s) could not be moved", context=_context(change), retryable=True)

    def _records_in(self, obj_type: str, prop: str, value: str) -> list[str]:
        ids: list[str] = []
        after: str | None = None
        while True:
            request = PublicObjectSearchRequest(
                filter_groups=[{"filters": [{"propertyName": prop, "operator": "EQ", "value": value}]}],
                properties=[prop], limit=100, after=after)
            page = self.client.call(f"find {obj_type} in stage", self.client.api("search").do_search, obj_type, request,
                                    idempotent=True)
            ids.extend(r.id for r in page.results)
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                return ids

    # --- workflows --------------------------------------------------------------------------------

    def _find_flow(self, name: str) -> dict[str, Any] | None:
        after: str | None = None
        while True:
            page = self.client.flows("GET", qs={"limit": 100, **({"after": after} if after else {})}, idempotent=True)
            for summary in page.get("results") or []:
                if summary.get("name") == name:
                    return dict(self.client.flows("GET", f"/{summary['id']}", idempotent=True))
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return None

    def create_flow(self, change: Change) -> None:
        name = addr.name_of(change.address)
        if "trigger" not in (change.after or {}):
            raise ProviderError(f"HubSpot has no workflow {name}: correct `binds.hubspot` (crmconf never creates "
                                "the workflows it only inventories)", context=_context(change))
        body = flows.to_flow(name, change.after or {}, self.registry.lookups())
        created = self.client.write(
            f"create workflow {flow_name(name)}",
            lambda: self.client.flows("POST", body=body, idempotent=False),
            lambda: self._find_flow(flow_name(name)))
        self.registry.workflows[str(created["id"])] = created

    def _flow_id(self, change: Change) -> str:
        fid = change.meta.get("id") or addr.name_of(change.address)
        return str(fid)

    def _current_flow(self, fid: str) -> dict[str, Any]:
        flow = self.registry.workflows.get(fid)
        if flow is None or "actions" not in flow:
            flow = dict(self.client.flows("GET", f"/{fid}", idempotent=True))
            self.registry.workflows[fid] = flow
        return flow

    def _flow_body(self, change: Change, current: Mapping[str, Any]) -> dict[str, Any]:
        attrs = change.after or {}
        if "trigger" in attrs:  # compiled: the whole definition is crmconf's
            body = flows.to_flow(addr.name_of(change.address), attrs, self.registry.lookups())
        else:  # bound: only the attributes the spec manages change
            body = {k: v for k, v in current.items() if k not in ("id", "createdAt", "updatedAt",
                                                                   "crmObjectCreationStatus")}
            body["isEnabled"] = attrs.get("status", "active") == "active"
            if "description" in attrs:
                body["description"] = attrs["description"] or ""
        body["revisionId"] = current["revisionId"]
        return body

    def update_flow(self, change: Change) -> None:
        fid = self._flow_id(change)
        for _ in range(3):
            current = self._current_flow(fid)
            try:
                updated = self.client.flows("PUT", f"/{fid}", body=self._flow_body(change, current), idempotent=True)
            except Refused as exc:
                # 409: the revision moved (someone edited it, or our own lost PUT landed): re-read, re-decide.
                if exc.status != 409:
                    raise
                self.registry.workflows.pop(fid, None)
                if self._flow_matches(change, self._current_flow(fid)):
                    return
                continue
            self.registry.workflows[fid] = dict(updated)
            return
        raise ProviderError("the workflow kept changing under us (revision conflicts)", context=_context(change))

    def _flow_matches(self, change: Change, flow: Mapping[str, Any]) -> bool:
        attrs = change.after or {}
        live: dict[str, Any] = {"status": "active" if flow.get("isEnabled") else "inactive",
                                "description": flow.get("description") or None}
        if "trigger" in attrs:
            live = flows.from_flow(flow, self.registry.lookups())
        return _matches(live, attrs)

    def delete_flow(self, change: Change) -> None:
        fid = self._flow_id(change)
        try:
            self.client.flows("DELETE", f"/{fid}", idempotent=True)
        except Refused as exc:
            if exc.status != 404:
                raise
        self.registry.workflows.pop(fid, None)

    def replace_flow(self, change: Change) -> None:
        self.delete_flow(change)
        self.create_flow(change)


class _Landed:
    """A batch-create reply rebuilt from a read-back: every property found counts as created."""

    def __init__(self, results: list[Any]) -> None:
        self.results: list[Any] = results
        self.errors: list[Any] = []


def _matches(live: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return all(same(live.get(k), v) for k, v in wanted.items())


def _item_name(error: Any) -> str:
    names = (error.context or {}).get("name") or []
    return str(names[0]) if names else ""


def _item_name_raw(error: Mapping[str, Any]) -> str:
    names = (error.get("context") or {}).get("name") or []
    return str(names[0]) if names else ""


def _item_ids(error: Any) -> list[str]:
    return [str(i) for i in (error.context or {}).get("ids") or []]
