"""Live HubSpot state as a Snapshot, in one batch of list calls, plus the ids apply needs.

Requests per plan: one properties list per object (4), one pipelines list per pipeline object (2),
the flow pages (100 per page), one batch/read for the flow details the spec needs (bound and
compiled flows; everything when nothing was compiled, e.g. for import), users, active and archived
owners, roles when the spec has permission sets, teams when compiled flows notify a team. Record
searches run only where a plan would destroy data: removed options, stages, pruned fields/pipelines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hubspot.crm.objects import PublicObjectSearchRequest

from crmconf import address as addr
from crmconf.engine.resource import JSON, LiveObject, Snapshot
from crmconf_hubspot import flows
from crmconf_hubspot.client import Client
from crmconf_hubspot.compile import Desired
from crmconf_hubspot.mapping import (
    OBJECT_TYPES,
    OBJECTS_BY_TYPE_ID,
    PIPELINE_OBJECTS,
    PIPELINE_PROPERTIES,
    compiled_name,
    options_of,
    probability_percent,
    slug,
    spec_type,
    stage_outcome,
    unique,
)

FLOW_PAGE = 100
BATCH = 100
SEARCH_PAGE = 200


@dataclass
class PipelineRef:
    id: str
    obj: str
    label: str


@dataclass
class StageRef:
    id: str
    pipeline: str  # the pipeline's address
    obj: str
    label: str
    fresh: bool = False  # just created with its pipeline, from the very attributes its own change wants
    display_order: int | None = None  # HubSpot's raw displayOrder (None: written by this apply)


@dataclass
class Registry:
    """Spec addresses -> HubSpot ids (and back), from the last fetch plus what apply created since."""

    pipelines: dict[str, PipelineRef] = field(default_factory=dict)
    stages: dict[str, StageRef] = field(default_factory=dict)
    properties: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (object, name) -> raw
    groups: set[tuple[str, str]] = field(default_factory=set)
    workflows: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> full flow (or its summary)
    owners: dict[str, str] = field(default_factory=dict)  # e-mail -> owner id (active owners)
    users: dict[str, str] = field(default_factory=dict)  # e-mail -> user id
    teams: dict[str, str] = field(default_factory=dict)  # name -> id

    def stage_address(self, obj: str, sid: str) -> str | None:
        return next((a for a, s in self.stages.items() if s.obj == obj and s.id == sid), None)

    def stage_id(self, ref: str) -> str | None:
        pipeline, _, stage = ref.partition(".")
        found = self.stages.get(addr.stage(pipeline, stage))
        return found.id if found else None

    def lookups(self) -> flows.Lookups:
        def stage_ref(obj: str, sid: str) -> str | None:
            address = self.stage_address(obj, sid)
            return ".".join(addr.stage_of(address) or ()) or None if address else None

        def property_type(obj: str, prop: str) -> str | None:
            raw = self.properties.get((obj, prop))
            return str(raw["type"]) if raw else None

        return flows.Lookups(
            stage_id=self.stage_id, stage_ref=stage_ref,
            owner_id=self.owners, owner_email={v: k for k, v in self.owners.items()},
            user_id=self.users, user_email={v: k for k, v in self.users.items()},
            team_id=self.teams, team_name={v: k for k, v in self.teams.items()},
            property_type=property_type,
        )


def option_dicts(options: Iterable[Any] | None) -> list[dict[str, Any]]:
    return [{"value": o.value, "label": o.label, "hidden": bool(o.hidden), "displayOrder": o.display_order,
             "description": o.description or ""} for o in options or ()]


def property_record(prop: Any) -> dict[str, Any]:
    """The parts of an SDK Property crmconf uses, as plain data (kept in the registry)."""
    return {"name": prop.name, "label": prop.label, "type": prop.type, "fieldType": prop.field_type,
            "groupName": prop.group_name, "description": prop.description or "",
            "options": option_dicts(prop.options), "hubspotDefined": bool(prop.hubspot_defined),
            "hasUniqueValue": bool(prop.has_unique_value), "updatedAt": str(prop.updated_at or "")}


def field_live_attrs(raw: dict[str, Any]) -> dict[str, JSON]:
    """A custom property in the vocabulary compile uses (see compile.field_attrs)."""
    choice = raw["type"] == "enumeration"
    return {"label": raw["label"], "type": spec_type(raw["type"], raw["fieldType"]),
            "help_text": raw["description"] or None, "options": options_of(raw["options"]) if choice else None,
            "group": raw["groupName"], "unique": raw["hasUniqueValue"]}


class Fetcher:
    """One fetch: reads, names every live object with its spec address, fills the registry."""

    def __init__(self, client: Client, desired: Desired, kinds: frozenset[str]) -> None:
        self.client, self.desired = client, desired
        self.wants: Callable[[str], bool] = lambda kind: not kinds or kind in kinds
        self.registry = Registry()
        self.objects: dict[str, LiveObject] = {}
        self.facts: dict[str, JSON] = {}

    def run(self) -> tuple[Snapshot, Registry]:
        start = self.client.requests
        if self.wants("field"):
            self._properties()
        if self.wants("pipeline") or self.wants("stage"):
            self._pipelines()
        if self.wants("automation"):
            self._people()
            self._flows()
        if self.desired.permissions or not self.desired.known:
            roles = self.client.call("list roles", self.client.api("roles").get_all, idempotent=True).results
            self.facts["roles"] = sorted(str(r.name) for r in roles)
        kinds = frozenset(k for k in ("field", "pipeline", "stage", "automation") if self.wants(k))  # what was read
        snapshot = Snapshot(dict(self.objects), kinds, facts=self.facts, requests=self.client.requests - start)
        return snapshot, self.registry

    # --- record counts (only where a plan would destroy data) ---------------------------------

    def count(self, obj: str, prop: str, values: list[str], *, multi: bool = False) -> dict[str, int]:
        """Records per value of `prop`: one search when they fit one page, else one count per value."""
        search = self.client.api("search").do_search
        request = PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": prop, "operator": "IN", "values": values}]}],
            properties=[prop], limit=SEARCH_PAGE)
        page = self.client.call(f"count {OBJECT_TYPES[obj]} by {prop}", search, OBJECT_TYPES[obj], request,
                                idempotent=True)
        if page.total <= len(page.results):
            counts = dict.fromkeys(values, 0)
            for record in page.results:
                raw = (record.properties or {}).get(prop) or ""
                for token in raw.split(";") if multi else [raw]:
                    if token in counts:
                        counts[token] += 1
            return counts
        counts = {}
        for value in values:
            one = PublicObjectSearchRequest(
                filter_groups=[{"filters": [{"propertyName": prop, "operator": "EQ", "value": value}]}], limit=1)
            counts[value] = self.client.call(f"count {OBJECT_TYPES[obj]} by {prop}", search, OBJECT_TYPES[obj], one,
                                             idempotent=True).total
        return counts

    def _with_value(self, obj: str, prop: str) -> int:
        request = PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": prop, "operator": "HAS_PROPERTY"}]}], limit=1)
        return int(self.client.call(f"count {OBJECT_TYPES[obj]} with {prop}", self.client.api("search").do_search,
                                    OBJECT_TYPES[obj], request, idempotent=True).total)

    # --- properties -------------------------------------------------------------------------------

    def _properties(self) -> None:
        api = self.client.api("properties")
        for obj, obj_type in OBJECT_TYPES.items():
            for prop in self.client.call(f"list {obj_type} properties", api.get_all, obj_type, idempotent=True).results:
                raw = property_record(prop)
                self.registry.properties[(obj, raw["name"])] = raw
                self.registry.groups.add((obj, raw["groupName"]))
                live = self._field(obj, raw)
                if live is not None:
                    self.objects[live.address] = live

    def _field(self, obj: str, raw: dict[str, Any]) -> LiveObject | None:
        meta: dict[str, JSON] = {"object": obj, "name": raw["name"], "hubspot_defined": raw["hubspotDefined"],
                                 "type": spec_type(raw["type"], raw["fieldType"])}
        if raw["hubspotDefined"]:
            # HubSpot's own properties are the platform, not this portal's configuration: reported only
            # when the spec manages one (their options), so they are never listed, linted or pruned.
            name = self.desired.standard.get((obj, raw["name"]))
            if name is None:
                return None
            address = addr.field(obj, name)
            attrs: dict[str, JSON] = {"options": options_of(raw["options"])}
        else:
            address = addr.field(obj, raw['name'])
            attrs = field_live_attrs(raw)
        usage: dict[str, int] = {}
        removed = self.desired.removed_options(address, options_of(raw["options"]))
        if removed:
            counts = self.count(obj, raw["name"], removed, multi=raw["fieldType"] == "checkbox")
            usage = {f"option:{v}": n for v, n in counts.items() if n}
        elif "field" in self.desired.prune and address not in self.desired.resources and not raw["hubspotDefined"]:
            usage = {"records": self._with_value(obj, raw["name"])}
        return LiveObject(address, "field", attrs, version=raw["updatedAt"], meta=meta, usage=usage,
                          label=raw["label"])

    # --- pipelines and stages ---------------------------------------------------------------------

    def _pipelines(self) -> None:
        api = self.client.api("pipelines")
        live = {obj: self.client.call(f"list {OBJECT_TYPES[obj]} pipelines", api.get_all, OBJECT_TYPES[obj],
                                      idempotent=True).results for obj in PIPELINE_OBJECTS}
        names = self._pipeline_names(live)
        for obj, pipelines in live.items():
            for p in pipelines:
                self._pipeline(obj, p, names[p.id])

    def _pipeline_names(self, live: dict[str, list[Any]]) -> dict[str, str]:
        """Live pipeline id -> spec name: by label within the object, else a relabel, else a slug."""
        wanted = self.desired.pipelines
        by_label: dict[tuple[str, str], str] = {(p.object, p.label): name for name, p in wanted.items()}
        names: dict[str, str] = {}
        for obj, pipelines in live.items():
            for p in pipelines:
                if (obj, p.label) in by_label:
                    names[p.id] = by_label[(obj, p.label)]
        taken = set(names.values())
        for obj, pipelines in live.items():
            for p in pipelines:
                if p.id in names:
                    continue
                candidate = slug(p.label)
                spec = wanted.get(candidate)
                if spec is not None and spec.object == obj and candidate not in taken:
                    names[p.id] = candidate
                    taken.add(candidate)
                else:
                    names[p.id] = unique(candidate, taken | set(wanted))
                    taken.add(names[p.id])
        return names

    def _pipeline(self, obj: str, p: Any, name: str) -> None:
        address = addr.pipeline(name)
        spec = self.desired.pipelines.get(name)
        managed = spec is not None and spec.object == obj
        pruned = "pipeline" in self.desired.prune and not managed
        self.registry.pipelines[address] = PipelineRef(p.id, obj, p.label)
        stages = sorted(p.stages or [], key=lambda s: (s.display_order, s.label))
        stage_names = self._stage_names(stages, spec if managed else None)
        kept = {x.name for x in spec.stages} if spec is not None and managed else set()
        leaving = [s.id for s in stages if pruned or (managed and stage_names[s.id] not in kept)]
        counts = self.count(obj, PIPELINE_PROPERTIES[obj][1], leaving) if leaving else {}
        usage = {"records": sum(counts.values())} if pruned else {}
        self.objects[address] = LiveObject(
            address, "pipeline", {"object": obj, "label": p.label}, version=str(p.updated_at or ""),
            meta={"id": p.id, "object": obj}, usage=usage, label=p.label)
        positions = self._positions(address, stages, stage_names) if managed else {}
        for rank, s in enumerate(stages):
            stage_address = addr.child(address, "stage", stage_names[s.id])
            metadata = {str(k): str(v) for k, v in (s.metadata or {}).items()}
            self.registry.stages[stage_address] = StageRef(s.id, address, obj, s.label, display_order=s.display_order)
            attrs = {"label": s.label, "position": positions.get(s.id, rank),
                     "probability": probability_percent(metadata.get("probability")) if obj == "deal" else None,
                     "outcome": stage_outcome(obj, metadata)}
            self.objects[stage_address] = LiveObject(
                stage_address, "stage", attrs, version=str(s.updated_at or ""), parent=address,
                meta={"id": s.id, "pipeline_id": p.id, "object": obj},
                usage={"records": counts[s.id]} if s.id in counts else {}, label=s.label)

    def _positions(self, address: str, stages: list[Any], names: dict[str, str]) -> dict[str, int]:
        """A stage's `position` is its rank in HubSpot's order (display orders may have gaps), and apply
        writes the spec's index as displayOrder only for stages created or moved. When that would not
        give the spec's order (an unmoved stage's displayOrder sorts it past a written one: live
        display orders 0 and 9, the spec inserting stages between), positions are the raw display
        orders instead, so the plan renumbers every stage out of place and one apply converges."""
        ranks = {s.id: rank for rank, s in enumerate(stages)}
        wanted = {r.address: r for r in self.desired.resources.values() if r.kind == "stage" and r.parent == address}
        final: list[tuple[int, str, int]] = []  # (displayOrder, label, spec index) once applied
        live = set()
        for s in stages:
            resource = wanted.get(addr.child(address, "stage", names[s.id]))
            if resource is None:
                continue  # retired by the plan
            live.add(resource.address)
            index = int(resource.attrs["position"])
            order = s.display_order if ranks[s.id] == index else index
            final.append((order, str(resource.attrs["label"]), index))
        final += [(int(r.attrs["position"]), str(r.attrs["label"]), int(r.attrs["position"]))
                  for r in wanted.values() if r.address not in live]
        if [index for _, _, index in sorted(final)] == sorted(index for _, _, index in final):
            return ranks
        return {s.id: int(s.display_order) for s in stages}

    @staticmethod
    def _stage_names(stages: list[Any], spec: Any) -> dict[str, str]:
        """Same rule as pipelines, within one pipeline: label, else a relabel by slug, else a new slug."""
        wanted = {s.name: s for s in spec.stages} if spec is not None else {}
        by_label = {s.label: s.name for s in wanted.values()}
        names = {s.id: by_label[s.label] for s in stages if s.label in by_label}
        taken = set(names.values())
        for s in stages:
            if s.id in names:
                continue
            candidate = slug(s.label)
            if candidate in wanted and candidate not in taken:
                names[s.id] = candidate
            else:
                names[s.id] = unique(candidate, taken | set(wanted))
            taken.add(names[s.id])
        return names

    # --- people -----------------------------------------------------------------------------------

    def _pages(self, what: str, fn: Callable[..., Any], **kwargs: Any) -> list[Any]:
        items: list[Any] = []
        after = None
        while True:
            page = self.client.call(what, fn, idempotent=True, after=after, **kwargs)
            items.extend(page.results)
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                return items

    def _people(self) -> None:
        """Who may own an automation: active users and owners; archived owners are deactivated people."""
        users: dict[str, bool] = {}
        for user in self._pages("list users", self.client.api("users").get_page, limit=100):
            self.registry.users[user.email.lower()] = str(user.id)
            users[user.email.lower()] = True
        owners = self.client.api("owners").get_page
        for owner in self._pages("list owners", owners, limit=500, archived=False):
            if owner.email:
                self.registry.owners[owner.email.lower()] = str(owner.id)
                users[owner.email.lower()] = True
        for owner in self._pages("list archived owners", owners, limit=500, archived=True):
            if owner.email:
                users.setdefault(owner.email.lower(), False)
        self.facts["users"] = users
        if self.desired.teams:
            for team in self.client.call("list teams", self.client.api("teams").get_all, idempotent=True).results:
                self.registry.teams[str(team.name)] = str(team.id)

    # --- workflows --------------------------------------------------------------------------------

    def _flows(self) -> None:
        summaries: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            page = self.client.flows("GET", qs={"limit": FLOW_PAGE, **({"after": after} if after else {})},
                                     idempotent=True)
            summaries.extend(page.get("results") or [])
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                break
        wanted = [s["id"] for s in summaries if not self.desired.known or s["id"] in self.desired.bound
                  or compiled_name(s.get("name")) in self.desired.compiled]
        details = self._flow_details(wanted)
        lookups = self.registry.lookups()
        taken: set[str] = set()
        for summary in summaries:
            flow = details.get(summary["id"], summary)
            self.registry.workflows[summary["id"]] = flow
            live = self._flow(flow, summary["id"] in details, lookups, taken)
            self.objects[live.address] = live

    def _flow_details(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), BATCH):
            inputs = [{"flowId": fid, "type": "FLOW_ID"} for fid in ids[start:start + BATCH]]
            # A read sent as POST: safe to repeat.
            page = self.client.flows("POST", "/batch/read", body={"inputs": inputs}, idempotent=True)
            found.update({str(f["id"]): f for f in page.get("results") or []})
        return found

    def _flow(self, flow: dict[str, Any], detailed: bool, lookups: flows.Lookups, taken: set[str]) -> LiveObject:
        fid = str(flow["id"])
        name = compiled_name(flow.get("name"))
        obj = OBJECTS_BY_TYPE_ID.get(str(flow.get("objectTypeId")), str(flow.get("objectTypeId")))
        if fid not in self.desired.bound and name is not None and name not in taken:
            taken.add(name)
            address = addr.automation(name)
            attrs: dict[str, JSON] = (flows.from_flow(flow, lookups) if detailed
                                      else {"status": _status(flow), "object": obj})
        else:
            address = addr.automation(fid)
            attrs = {"status": _status(flow), "object": obj}
            if detailed:
                attrs["description"] = flow.get("description") or None
        return LiveObject(address, "automation", attrs, version=str(flow.get("revisionId", "")),
                          meta={"id": fid, "revision_id": str(flow.get("revisionId", "")),
                                "updated_at": flow.get("updatedAt"), "updated_by": None},
                          label=str(flow.get("name") or fid))


def _status(flow: dict[str, Any]) -> str:
    return "active" if flow.get("isEnabled") else "inactive"

