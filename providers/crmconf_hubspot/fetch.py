"""Live HubSpot state as a Snapshot, reading only what the spec and the plan need, plus the ids apply needs.

Requests per plan: the token's scopes (1), one properties list per object the spec has fields or
compiled workflows on (plus one `dataSensitivity` listing each when the token may read sensitive
properties, and one validation-rule listing per object whose fields declare a `format`), one
pipelines list per pipeline object the spec uses (lifecycle pipelines for contact/company pipelines and
workflows on their stages), and, only when the spec has automations, the flow pages (100 per page),
one batch/read for the flow details the spec needs, users, active and archived owners, teams when a
workflow names a team; roles when the spec has permission sets. Record searches run only where a plan
would destroy data. An empty `kinds` (import) reads everything.

After the scopes, the reads go out concurrently (reads.py): a plan waits for its longest chain of
dependent requests (the flow pages, then the flow details), not for every request in turn.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from hubspot.crm.objects import PublicObjectSearchRequest

from crmconf import address as addr
from crmconf.audit.compute import CRMCONF_WRITER
from crmconf.engine.resource import JSON, LiveObject, Snapshot
from crmconf.errors import AuthError
from crmconf_hubspot import flows, scopes
from crmconf_hubspot.client import Client, MissingScopes
from crmconf_hubspot.compile import Desired
from crmconf_hubspot.fetch_fields import FieldReader
from crmconf_hubspot.mapping import (
    LIFECYCLE_OBJECTS,
    OBJECT_TYPES,
    OBJECTS_BY_TYPE_ID,
    PIPELINE_OBJECTS,
    PIPELINE_PROPERTIES,
    compiled_name,
    probability_percent,
    slug,
    stage_outcome,
    unique,
)
from crmconf_hubspot.reads import Reads, read
from crmconf_hubspot.registry import PipelineRef, Registry, StageRef
from crmconf_hubspot.scopes import Need

__all__ = ["BATCH", "Fetcher", "PipelineRef", "Registry", "StageRef"]

BATCH = 100
SEARCH_PAGE = 200


class Fetcher(FieldReader):
    """One fetch: reads, names every live object with its spec address, fills the registry."""

    def __init__(self, client: Client, desired: Desired, kinds: frozenset[str], token_env: str = "HUBSPOT_TOKEN") -> None:
        self.client, self.desired, self.token_env = client, desired, token_env
        self.kinds = kinds
        self.everything = not kinds or not desired.known  # import and audit: all of each kind asked for
        self.wants: Callable[[str], bool] = lambda kind: not kinds or kind in kinds
        self.registry = Registry()
        self.objects: dict[str, LiveObject] = {}
        self.facts: dict[str, JSON] = {}
        self.granted: frozenset[str] | None = None

    def plan(self) -> dict[str, Any]:
        """What this fetch reads."""
        d, every = self.desired, self.everything
        return {
            "fields": sorted(OBJECT_TYPES if every or "field" in d.prune else d.field_objects)
            if self.wants("field") else [],
            "pipelines": [o for o in PIPELINE_OBJECTS if every or o in d.pipeline_objects or "pipeline" in d.prune]
            if self.wants("pipeline") or self.wants("stage") else [],
            "lifecycle": [o for o in LIFECYCLE_OBJECTS if o in d.lifecycle_objects]
            if self.wants("pipeline") or self.wants("automation") else [],
            "automations": self.wants("automation") and (every or d.automations),
            "roles": d.permissions or (every and self.wants("permission")),
        }

    def needs(self, reading: dict[str, Any]) -> list[Need]:
        found = [n for obj in reading["fields"] for n in scopes.for_fields(obj, None)]
        found += [n for obj in reading["pipelines"] for n in scopes.for_pipelines(obj, None)]
        found += [n for obj in reading["lifecycle"] for n in scopes.for_lifecycle(obj, None)]
        if reading["automations"]:
            found += scopes.for_automations(None, self.desired.teams)
        if reading["roles"]:
            found += scopes.for_permissions(None)
        if self.desired.known:  # a plan (or an import) also reads crmconf's managed record from the portal
            found += scopes.for_record()
        # Say where the spec asks for each (the first item of that concern).
        where = {(n.scope, n.concern): n.where for n in self.desired.needs if n.where is not None}
        return [Need(n.scope, n.concern, where.get((n.scope, n.concern)), n.when, n.optional) for n in found]

    @contextlib.contextmanager
    def reading(self, needs: list[Need]) -> Iterator[None]:
        """A 403 for a missing scope becomes the same plain, located error as the up-front check."""
        try:
            yield
        except MissingScopes as exc:
            lacking = [n for n in needs if n.scope in exc.scopes] or [Need(s, "this read") for s in exc.scopes]
            raise AuthError(scopes.message(lacking, self.token_env), context="hubspot") from exc

    def run(self) -> tuple[Snapshot, Registry]:
        start = self.client.requests
        reading = self.plan()
        needs = self.needs(reading)
        self.granted = self.client.token_scopes()
        if self.granted is not None:
            lacking = scopes.missing(needs, self.granted)
            if lacking:
                raise AuthError(scopes.message(lacking, self.token_env), context="hubspot")
        with self.reading(needs):
            reads = read(self, reading)
            if reading["fields"]:
                self.read_properties(reading["fields"], reads)
            if reading["pipelines"] or reading["lifecycle"]:
                self._pipelines(reading["pipelines"], reading["lifecycle"], reads)
            if reading["automations"]:
                self._people(reads)
                self._flows(reads)
            if reads.roles is not None:
                self.facts["roles"] = sorted(str(r.name) for r in reads.roles)
        # The kinds this snapshot answers for: those asked. A kind the spec does not use is answered by
        # reading nothing of it (the plan needs nothing there).
        kinds = self.kinds or frozenset(("field", "pipeline", "stage", "automation"))
        snapshot = Snapshot(dict(self.objects), kinds, facts=self.facts, requests=self.client.requests - start)
        return snapshot, self.registry

    # --- record counts (only where a plan would destroy data) ---------------------------------

    def count(self, obj: str, prop: str, values: list[str], *, multi: bool = False) -> dict[str, int]:
        """Records per value of `prop`: one search when they fit one page, else one count per value."""
        request = PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": prop, "operator": "IN", "values": values}]}],
            properties=[prop], limit=SEARCH_PAGE)
        page = self.client.search(f"count {OBJECT_TYPES[obj]} by {prop}", OBJECT_TYPES[obj], request)
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
            counts[value] = self.client.search(f"count {OBJECT_TYPES[obj]} by {prop}", OBJECT_TYPES[obj], one).total
        return counts

    def with_value(self, obj: str, prop: str) -> int:
        request = PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": prop, "operator": "HAS_PROPERTY"}]}], limit=1)
        return int(self.client.search(f"count {OBJECT_TYPES[obj]} with {prop}", OBJECT_TYPES[obj], request).total)

    # --- pipelines and stages ---------------------------------------------------------------------

    def _pipelines(self, objects: list[str], lifecycles: list[str], reads: Reads) -> None:
        live = {obj: reads.pipelines[obj] for obj in objects}
        for obj in lifecycles:
            self._lifecycle(obj, reads.lifecycle[obj])
        names = self._pipeline_names(live)
        for obj, pipelines in live.items():
            for p in pipelines:
                self._pipeline(obj, p, names[p.id])

    def _lifecycle(self, obj: str, pipelines: list[Any]) -> None:
        """Lifecycle stages by the spec's stage names (label, else slug), for workflows that name them."""
        for name, spec_obj in self.desired.lifecycle.items():
            if spec_obj != obj:
                continue
            spec = self.desired.lifecycle_specs[name]
            for p in pipelines:
                stages = sorted(p.stages or [], key=lambda s: (s.display_order, s.label))
                for sid, stage_name in self._stage_names(stages, spec).items():
                    label = next(s.label for s in stages if s.id == sid)
                    self.registry.lifecycle[addr.stage(name, stage_name)] = StageRef(
                        sid, addr.pipeline(name), obj, label)

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

    def _people(self, reads: Reads) -> None:
        """Who may own an automation: active users and owners; archived owners are deactivated people."""
        users: dict[str, bool] = {}
        for user in reads.users:
            self.registry.users[user.email.lower()] = str(user.id)
            users[user.email.lower()] = True
        for owner in reads.owners:
            if owner.email:
                self.registry.owners[owner.email.lower()] = str(owner.id)
                users[owner.email.lower()] = True
        for owner in reads.archived_owners:
            if owner.email:
                users.setdefault(owner.email.lower(), False)
        self.facts["users"] = users
        for team in reads.teams or ():
            self.registry.teams[str(team.name)] = str(team.id)

    # --- workflows --------------------------------------------------------------------------------

    def _flows(self, reads: Reads) -> None:
        summaries, details = reads.flows, reads.details
        lookups = self.registry.lookups()
        taken: set[str] = set()
        for summary in summaries:
            flow = details.get(summary["id"], summary)
            self.registry.workflows[summary["id"]] = flow
            live = self._flow(flow, summary["id"] in details, lookups, taken)
            self.objects[live.address] = live

    def _flow(self, flow: dict[str, Any], detailed: bool, lookups: flows.Lookups, taken: set[str]) -> LiveObject:
        fid = str(flow["id"])
        name = compiled_name(flow.get("name"))
        obj = OBJECTS_BY_TYPE_ID.get(str(flow.get("objectTypeId")), str(flow.get("objectTypeId")))
        updated_by: str | None = None
        if fid not in self.desired.bound and name is not None and name not in taken:
            taken.add(name)
            address = addr.automation(name)
            attrs: dict[str, JSON] = (flows.from_flow(flow, lookups) if detailed
                                      else {"status": _status(flow), "object": obj})
            if detailed and flows.written_by_crmconf(flow):
                updated_by = CRMCONF_WRITER  # the audit does not count crmconf's own writes as changes
        else:
            address = addr.automation(fid)
            attrs = {"status": _status(flow), "object": obj}
            if detailed:
                attrs["description"] = flow.get("description") or None
        return LiveObject(address, "automation", attrs, version=str(flow.get("revisionId", "")),
                          meta={"id": fid, "revision_id": str(flow.get("revisionId", "")),
                                "updated_at": flow.get("updatedAt"), "updated_by": updated_by},
                          label=str(flow.get("name") or fid))


def _status(flow: dict[str, Any]) -> str:
    return "active" if flow.get("isEnabled") else "inactive"

