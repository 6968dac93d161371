"""`crmconf health` on HubSpot: every count is a CRM search's `total`, never a page of records.

HubSpot has no aggregate query, so a count split by stage or by owner is one search per stage or per
active owner (plus one without the owner, whose remainder is "no active owner"). Each search asks for
one result (`limit: 1`) and reads `total`, which HubSpot gives whatever the size, so the 10,000-result
paging cap never applies. The groups of one query never overlap, so they are packed into as few searches
as HubSpot's filter limits allow (5 filter groups, 10 filters in a group, 25 in all) and the totals added.
Searches are paced under HubSpot's own per-second search limit (the client's `search_per_second`).

Before searching: the token's scopes (one request; what is missing is one plain error), the pipelines
of the objects measured (stage ids by the spec's names, as plans name them), the active owners, and the
definition of each dedup key's property. What search cannot count is `Unmeasured`: a split by picklist
value (search does not group), distinct values (duplicates: only keys HubSpot itself keeps unique, a
contact's e-mail and properties with `hasUniqueValue`, are answered, from the rule), leads, and a stage
age anywhere but deals (`hs_date_entered_<stage id>`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hubspot.crm.objects import PublicObjectSearchRequest

from crmconf import address as addr
from crmconf.errors import AuthError, ProviderError
from crmconf.health.query import (
    ACTIVE_OWNER,
    ACTIVITY,
    NO_ACTIVE_OWNER,
    Answer,
    Match,
    Measured,
    Query,
    Unmeasured,
)
from crmconf_hubspot import scopes
from crmconf_hubspot.client import Client
from crmconf_hubspot.compile import Desired
from crmconf_hubspot.fetch import Fetcher
from crmconf_hubspot.mapping import OBJECT_TYPES, PIPELINE_PROPERTIES, property_name

MAX_GROUPS, MAX_GROUP_FILTERS, MAX_FILTERS = 5, 10, 25  # [docs] search limits since August 2024
ENGAGEMENTS = ("calls", "emails", "meetings", "notes", "tasks")  # activities, each its own object
OWNER_IDS = 100  # owner ids in one IN filter ([choice]: HubSpot documents no lower bound; 100 keeps a filter small)
STAGE_PROPERTY = {"deal": "dealstage", "ticket": "hs_pipeline_stage", "contact": "lifecyclestage",
                  "company": "lifecyclestage"}
Filter = dict[str, Any]
Group = list[Filter]


class _Skip(Exception):
    """A group search cannot express, and why."""


def _ms(at: datetime) -> str:
    return str(int(at.timestamp() * 1000))


@dataclass
class _Ids:
    """Spec pipelines and stages -> HubSpot ids, from the pipelines read before searching."""

    pipelines: dict[str, str] = field(default_factory=dict)  # spec pipeline -> id (deal/ticket pipelines)
    stages: dict[str, str] = field(default_factory=dict)  # "<pipeline>.<stage>" -> stage id


class HealthReader:
    def __init__(self, client: Client, desired: Desired, token_env: str) -> None:
        self.client, self.desired, self.token_env = client, desired, token_env
        self.ids = _Ids()
        self.owners: dict[str, str] = {}  # active owner e-mail -> owner id
        self.unique: dict[tuple[str, str], str | None] = {}  # (object, property) -> why HubSpot keeps it unique

    # --- the reads before searching ----------------------------------------------------------------

    def needs(self, queries: Sequence[Query]) -> list[scopes.Need]:
        objects = {q.object for q in queries if q.object in OBJECT_TYPES}
        keys = {q.object for q in queries if q.distinct and q.object in OBJECT_TYPES}
        return scopes.for_health(sorted(objects), any(q.object == ACTIVITY for q in queries), sorted(keys))

    def prepare(self, queries: Sequence[Query]) -> None:
        granted = self.client.token_scopes()
        if granted is not None:
            lacking = scopes.missing(self.needs(queries), granted, scopes.HEALTH)
            if lacking:
                raise AuthError(scopes.message(lacking, self.token_env), context="hubspot health")
        self._pipelines({str(m.pipeline) for q in queries for m in q.match if m.pipeline})
        if any(q.by in ("owner", "active_owner") for q in queries):
            self._owners()
        for q in queries:
            if q.distinct and q.field and q.object in OBJECT_TYPES:
                self.unique[(q.object, q.field)] = self._unique(q.object, q.field)

    def _pipelines(self, names: set[str]) -> None:
        fetcher = Fetcher(self.client, self.desired, frozenset({"pipeline"}), self.token_env)
        api = self.client.api("pipelines")
        wanted = [self.desired.pipelines[n] for n in names if n in self.desired.pipelines]
        live: dict[str, list[Any]] = {}
        for kind in sorted({str(p.object) for p in wanted}):
            live[kind] = self.client.call(f"list {OBJECT_TYPES[kind]} pipelines", api.get_all, OBJECT_TYPES[kind],
                                          idempotent=True).results
        found = fetcher._pipeline_names(live)
        for obj, pipelines in live.items():
            for p in pipelines:
                spec = self.desired.pipelines.get(found[p.id])
                if spec is None or spec.object != obj:
                    continue
                self.ids.pipelines[spec.name] = str(p.id)
                stages = sorted(p.stages or [], key=lambda s: (s.display_order, s.label))
                for sid, stage in fetcher._stage_names(stages, spec).items():
                    self.ids.stages[f"{spec.name}.{stage}"] = str(sid)
        lifecycle = sorted({self.desired.lifecycle[n] for n in names if n in self.desired.lifecycle})
        for kind in lifecycle:
            results = self.client.call(f"list {OBJECT_TYPES[kind]} lifecycle stages", api.get_all, OBJECT_TYPES[kind],
                                       idempotent=True).results
            fetcher._lifecycle(kind, results)
        for address, ref in fetcher.registry.lifecycle.items():
            where = addr.stage_of(address)
            if where is not None:
                self.ids.stages[".".join(where)] = ref.id

    def _owners(self) -> None:
        after = None
        while True:
            page = self.client.call("list owners", self.client.api("owners").get_page, idempotent=True, after=after,
                                    limit=500, archived=False)
            for owner in page.results:
                if owner.email:
                    self.owners[str(owner.email).lower()] = str(owner.id)
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                return

    def _unique(self, obj: str, name: str) -> str | None:
        prop = property_name(obj, name)
        if (obj, prop) == ("contact", "email"):
            return "HubSpot refuses a second contact with an e-mail another contact has"
        try:
            found = self.client.call(f"read property {prop}", self.client.api("properties").get_by_name,
                                     OBJECT_TYPES[obj], prop, idempotent=True)
        except ProviderError:
            return None
        return f"HubSpot keeps {prop} unique (hasUniqueValue)" if found.has_unique_value else None

    # --- translating ---------------------------------------------------------------------------------

    def _group(self, q: Query, m: Match) -> Iterator[tuple[str, Group]]:
        """(the part it stands for, filters): one per stage when a stage age is asked (its own property)."""
        stages = list(m.stages)
        if m.entered_stage_before is not None:
            if q.object != "deal":
                raise _Skip(f"HubSpot records when a record entered a stage for deals only, not {q.object}s")
            for stage in stages:
                part = f"{m.pipeline}.{stage}"
                sid = self._stage(part)
                yield part, [*self._place(q, m, [sid]), *self._fields(q, m),
                             {"propertyName": f"hs_date_entered_{sid}", "operator": "LT",
                              "value": _ms(m.entered_stage_before)}]
            return
        part = ",".join(f"{m.pipeline}.{s}" for s in stages) if stages else ""
        sids = [self._stage(f"{m.pipeline}.{s}") for s in stages]
        yield part, [*self._place(q, m, sids), *self._fields(q, m)]

    def _stage(self, part: str) -> str:
        sid = self.ids.stages.get(part)
        if sid is None:
            raise _Skip(f"HubSpot has no stage matching {part} (its pipeline or stage is not set up)")
        return sid

    def _place(self, q: Query, m: Match, sids: list[str]) -> Group:
        if m.pipeline is None:
            return []
        out: Group = []
        if q.object in PIPELINE_PROPERTIES:
            pid = self.ids.pipelines.get(m.pipeline)
            if pid is None:
                raise _Skip(f"HubSpot has no pipeline matching {m.pipeline}")
            out.append({"propertyName": PIPELINE_PROPERTIES[q.object][0], "operator": "EQ", "value": pid})
        stage_prop = STAGE_PROPERTY[q.object]
        if len(sids) == 1:
            out.append({"propertyName": stage_prop, "operator": "EQ", "value": sids[0]})
        elif sids:
            out.append({"propertyName": stage_prop, "operator": "IN", "values": sids})
        return out

    def _fields(self, q: Query, m: Match) -> Group:
        out: Group = []
        for name in m.filled:
            out.append(self._has(q, name, True))
        for name in m.blank:
            out.append(self._has(q, name, False))
        for name, allowed in m.outside:
            prop = property_name(q.object, name)
            out.append({"propertyName": prop, "operator": "HAS_PROPERTY"})
            if allowed:
                out.append({"propertyName": prop, "operator": "NOT_IN", "values": list(allowed)})
        if m.created_since is not None:
            prop = "hs_timestamp" if q.object == ACTIVITY else "createdate"
            out.append({"propertyName": prop, "operator": "GTE", "value": _ms(m.created_since)})
        return out

    def _has(self, q: Query, name: str, filled: bool) -> Filter:
        prop = property_name(q.object, name)
        if q.type_of(name) == "boolean":  # a box is "filled" when ticked
            return {"propertyName": prop, "operator": "EQ" if filled else "NEQ", "value": "true"}
        return {"propertyName": prop, "operator": "HAS_PROPERTY" if filled else "NOT_HAS_PROPERTY"}

    def _groups(self, q: Query, missing: dict[str, str]) -> list[tuple[str, Group]]:
        kept: list[tuple[str, Group]] = []
        for m in q.match:
            try:
                for part, filters in self._group(q, m):
                    if len(filters) + 1 > MAX_GROUP_FILTERS:  # + 1: an owner filter may join it
                        raise _Skip(f"more than {MAX_GROUP_FILTERS - 1} conditions at once: HubSpot search takes "
                                    f"{MAX_GROUP_FILTERS} filters in a group")
                    kept.append((part, filters))
            except _Skip as why:
                for part in [f"{m.pipeline}.{s}" for s in m.stages] or [q.object]:
                    missing[part] = str(why)
        return kept

    # --- searching ---------------------------------------------------------------------------------

    def measure(self, queries: Sequence[Query]) -> Measured:
        start = self.client.requests
        self.prepare(queries)
        answers = {q.key: self._answer(q) for q in queries}
        users = dict.fromkeys(self.owners, True)
        return Measured(answers, users=users, requests=self.client.requests - start)

    def _answer(self, q: Query) -> Answer | Unmeasured:
        if q.object not in OBJECT_TYPES and q.object != ACTIVITY:
            return Unmeasured(f"HubSpot has no {q.object} object crmconf can search")
        if q.distinct:
            return self._distinct(q)
        if q.by == "value":
            return Unmeasured("HubSpot search cannot split a count by value (no aggregate query): the records "
                              "outside the list are counted, not their values")
        missing: dict[str, str] = {}
        groups = self._groups(q, missing)
        if not groups:
            return Unmeasured("; ".join(dict.fromkeys(missing.values())) or "nothing HubSpot can search for")
        objects = ENGAGEMENTS if q.object == ACTIVITY else (OBJECT_TYPES[q.object],)
        counts: dict[str, int] = {}
        if q.by == "stage":
            for part in dict.fromkeys(p for p, _ in groups):
                for name in part.split(","):
                    sid = self.ids.stages[name]
                    only = [[f for f in g if not _stage_filter(f)] + [self._one_stage(q, sid)]
                            for p, g in groups if name in p.split(",")]
                    counts[name] = self._total(q.key, objects, only)
        elif q.by == "owner":
            every = self._total(q.key, objects, [g for _, g in groups])
            for email, oid in sorted(self.owners.items()):
                owned = [[*g, {"propertyName": "hubspot_owner_id", "operator": "EQ", "value": oid}] for _, g in groups]
                n = self._total(q.key, objects, owned)
                if n:
                    counts[email] = n
            if every > sum(counts.values()):
                counts[NO_ACTIVE_OWNER] = every - sum(counts.values())
        elif q.by == "active_owner":
            every = self._total(q.key, objects, [g for _, g in groups])
            ids = sorted(self.owners.values())
            # One group per 100 owner ids (the groups name distinct owners, so they never overlap).
            owned = [[*g, {"propertyName": "hubspot_owner_id", "operator": "IN", "values": ids[i:i + OWNER_IDS]}]
                     for _, g in groups for i in range(0, len(ids), OWNER_IDS)]
            counts[ACTIVE_OWNER] = self._total(q.key, objects, owned) if ids else 0
            if every > counts[ACTIVE_OWNER]:
                counts[NO_ACTIVE_OWNER] = every - counts[ACTIVE_OWNER]
        else:
            counts[""] = self._total(q.key, objects, [g for _, g in groups])
        return Answer(counts, missing=missing)

    def _one_stage(self, q: Query, sid: str) -> Filter:
        return {"propertyName": STAGE_PROPERTY[q.object], "operator": "EQ", "value": sid}

    def _distinct(self, q: Query) -> Answer | Unmeasured:
        why = self.unique.get((q.object, str(q.field)))
        if why is None:
            return Unmeasured("HubSpot search cannot count distinct values, and HubSpot does not keep "
                              f"{q.object}.{q.field} unique, so duplicates cannot be counted without reading "
                              "every record")
        groups = self._groups(q, {})
        n = self._total(q.key, (OBJECT_TYPES[q.object],), [g for _, g in groups])
        return Answer({"": n}, distinct=n, note=why)

    def _total(self, key: str, objects: Sequence[str], groups: list[Group]) -> int:
        """The records of `objects` any group matches: groups packed under the search limits, totals added."""
        total = 0
        for obj in objects:
            for chunk in _packed(groups):
                request = PublicObjectSearchRequest(filter_groups=[{"filters": g} for g in chunk],
                                                    properties=["hs_object_id"], limit=1)
                total += int(self.client.search(f"health: {key}", obj, request).total)
        return total


def _stage_filter(f: Filter) -> bool:
    return f["propertyName"] in STAGE_PROPERTY.values()


def _packed(groups: list[Group]) -> Iterator[list[Group]]:
    chunk: list[Group] = []
    filters = 0
    for g in groups:
        if chunk and (len(chunk) == MAX_GROUPS or filters + len(g) > MAX_FILTERS):
            yield chunk
            chunk, filters = [], 0
        chunk.append(g)
        filters += len(g)
    if chunk:
        yield chunk

