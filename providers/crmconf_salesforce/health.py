"""`crmconf health` on Salesforce: each health query as one aggregate SOQL query, 25 to a Composite Batch.

- a total is `SELECT COUNT() ... WHERE ...` (the answer is `totalSize`, no rows come back);
- by stage, owner or value it is `SELECT <field>, COUNT(Id) n ... GROUP BY <field>`: Salesforce refuses an
  aggregate result longer than one batch (EXCEEDED_ID_LIMIT: GROUP BY cannot use a query locator), so
  owner and value groups are read `ORDER BY <field> LIMIT 2000`, and a full page asks for the next one
  with `<field> > '<last>'` in the following round;
- duplicates are `SELECT COUNT(Id) n, COUNT_DISTINCT(<key>) d ...`: records holding a key minus distinct
  keys (SOQL compares text without case);
- activities are Tasks (calls, e-mails, tasks) and Events (meetings), one query each.

A stage is its picklist value (StageName, Case Status, Lead Status) within the pipeline's record type
(`RecordType.DeveloperName`). What SOQL cannot express is answered `Unmeasured`, never approximated: a
long text area in a WHERE (Salesforce: "can not be filtered in a query call"), a stage age anywhere but
on Opportunities (`LastStageChangeDate`), contact stages (Salesforce keeps the lifecycle on leads), and a
pipeline the spec leaves to people. Counting every record needs the integration user to see them all:
"View All" on the objects measured (or "View All Data"); without it Salesforce counts what it may see.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from crmconf import address as addr
from crmconf.errors import ProviderError
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
from crmconf_salesforce.client import COMPOSITE_BATCH, SalesforceClient
from crmconf_salesforce.compile import State
from crmconf_salesforce.mapping import FAMILIES, OBJECTS, field_api, title_name

GROUP_ROWS = 2000  # an aggregate result is one batch at most
ACTIVITY_OBJECTS = ("Task", "Event")
STAGE_FIELDS = {f.sobject: f.field for f in FAMILIES.values()}


class _Skip(Exception):
    """A group this query cannot put in SOQL, and why."""


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Soql:
    """One SOQL statement of a query, and where its next page starts."""

    key: str  # the health query's key
    sobject: str
    select: str
    where: str
    group: str | None  # the grouped field (None: COUNT() or a single aggregate row)
    after: str | None = None

    def text(self) -> str:
        where = self.where
        if self.after is not None and self.group:
            cursor = f"{self.group} > {_quote(self.after)}"
            where = f"({where}) AND {cursor}" if where else cursor
        text = f"SELECT {self.select} FROM {self.sobject}" + (f" WHERE {where}" if where else "")
        if self.group:
            text += f" GROUP BY {self.group} ORDER BY {self.group} LIMIT {GROUP_ROWS}"
        return text


@dataclass
class _Built:
    statements: list[_Soql] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    unmeasured: str | None = None


class HealthReader:
    def __init__(self, client: SalesforceClient, state: State | None) -> None:
        self.client, self.state = client, state or State()

    # --- translating ---------------------------------------------------------------------------

    def _condition(self, q: Query, sobject: str, m: Match) -> str:
        parts: list[str] = []
        if m.pipeline is not None:
            parts += self._placement(q, sobject, m)
        for name in m.filled:
            parts.append(self._test(q, sobject, name, filled=True))
        for name in m.blank:
            parts.append(self._test(q, sobject, name, filled=False))
        for name, allowed in m.outside:
            api = self._api(q, sobject, name)
            values = ", ".join(_quote(v) for v in allowed)
            parts.append(f"{api} != null" + (f" AND {api} NOT IN ({values})" if values else ""))
        if m.entered_stage_before is not None:
            if sobject != "Opportunity":
                raise _Skip(f"Salesforce records when a stage last changed only on opportunities, not {sobject}")
            cutoff = _when(m.entered_stage_before)
            parts.append(f"(LastStageChangeDate < {cutoff} OR (LastStageChangeDate = null AND CreatedDate < {cutoff}))")
        if m.created_since is not None:
            parts.append(f"CreatedDate >= {_when(m.created_since)}")
        return " AND ".join(parts)

    def _placement(self, q: Query, sobject: str, m: Match) -> list[str]:
        stage_field = STAGE_FIELDS.get(sobject)
        pipeline = str(m.pipeline)
        if stage_field is None:
            raise _Skip(f"Salesforce keeps no stage on {sobject} records (a contact's lifecycle lives on leads)")
        values = [self.state.stage_values.get(addr.stage(pipeline, s)) for s in m.stages]
        if not values or any(v is None for v in values):
            raise _Skip(f"pipeline {pipeline} is not a Salesforce process crmconf manages (it is a manual step)")
        names = ", ".join(_quote(str(v)) for v in values)
        return [f"RecordType.DeveloperName = {_quote(title_name(pipeline))}", f"{stage_field} IN ({names})"]

    def _api(self, q: Query, sobject: str, name: str) -> str:
        api = field_api(q.object, name)
        if api is None:
            raise _Skip(f"{sobject} has no field for {q.object}.{name}")
        if q.type_of(name) == "textarea":
            raise _Skip(f"Salesforce cannot filter on the long text field {sobject}.{api}")
        return api

    def _test(self, q: Query, sobject: str, name: str, *, filled: bool) -> str:
        api = self._api(q, sobject, name)
        if q.type_of(name) == "boolean":  # a box is "filled" when ticked: it is never null
            return f"{api} = {'true' if filled else 'false'}"
        return f"{api} {'!=' if filled else '='} null"

    def _where(self, q: Query, sobject: str, built: _Built) -> str | None:
        """The OR of the groups SOQL can express; the others are named in `missing`."""
        kept: list[str] = []
        for m in q.match:
            try:
                kept.append(self._condition(q, sobject, m))
            except _Skip as why:
                for part in [f"{m.pipeline}.{s}" for s in m.stages] or [",".join(sorted(q.fields())) or q.object]:
                    built.missing[part] = str(why)
        if not kept:
            return None
        if any(not c for c in kept):
            return ""  # a group without conditions matches every record
        return kept[0] if len(kept) == 1 else " OR ".join(f"({c})" for c in kept)

    def build(self, q: Query) -> _Built:
        built = _Built()
        sobjects = ACTIVITY_OBJECTS if q.object == ACTIVITY else ((OBJECTS[q.object],) if q.object in OBJECTS else ())
        if not sobjects:
            built.unmeasured = f"Salesforce has no {q.object} object"
            return built
        for sobject in sobjects:
            where = self._where(q, sobject, built)
            if where is None:
                continue
            try:
                built.statements.append(self._statement(q, sobject, where))
            except _Skip as why:
                built.unmeasured = str(why)
                return built
        if not built.statements:
            built.unmeasured = "; ".join(dict.fromkeys(built.missing.values())) or "nothing Salesforce can count"
        return built

    def _statement(self, q: Query, sobject: str, where: str) -> _Soql:
        if q.distinct and q.field:
            api = self._api(q, sobject, q.field)
            return _Soql(q.key, sobject, f"COUNT(Id) n, COUNT_DISTINCT({api}) d", where, None)
        group = {"stage": STAGE_FIELDS.get(sobject), "owner": "OwnerId", "active_owner": "OwnerId",
                 "value": self._api(q, sobject, q.field) if q.field else None}.get(q.by)
        if q.by == "total":
            return _Soql(q.key, sobject, "COUNT()", where, None)
        if group is None:
            raise _Skip(f"Salesforce cannot group {sobject} by {q.by}")
        return _Soql(q.key, sobject, f"{group}, COUNT(Id) n", where, group)

    # --- reading -------------------------------------------------------------------------------

    def measure(self, queries: Sequence[Query]) -> Measured:
        start = self.client.requests
        plans = {q.key: self.build(q) for q in queries}
        users_soql = _Soql("users", "User", "Id, Email, IsActive", "", None)
        results: dict[str, list[Mapping[str, Any]]] = {}
        refused: dict[str, str] = {}
        pending = [users_soql, *(s for b in plans.values() for s in b.statements)]
        while pending:
            pending = self._round(pending, results, refused)
        users = {str(r["Id"]): (str(r.get("Email") or "").lower(), bool(r.get("IsActive")))
                 for r in results.get("users#User", [])}
        answers: dict[str, Answer | Unmeasured] = {}
        for q in queries:
            built = plans[q.key]
            why = built.unmeasured or next((refused[f"{q.key}#{s.sobject}"] for s in built.statements
                                            if f"{q.key}#{s.sobject}" in refused), None)
            if why:
                answers[q.key] = Unmeasured(why)
                continue
            answers[q.key] = self._answer(q, built, results, users)
        active = {email: on for email, on in users.values() if email}
        return Measured(answers, users=active, requests=self.client.requests - start)

    def _round(self, pending: list[_Soql], results: dict[str, list[Mapping[str, Any]]],
               refused: dict[str, str]) -> list[_Soql]:
        """Send `pending` 25 to a Composite Batch; return the next pages asked for."""
        following: list[_Soql] = []
        for i in range(0, len(pending), COMPOSITE_BATCH):
            chunk = pending[i:i + COMPOSITE_BATCH]
            body = {"haltOnError": False, "batchRequests": [
                {"method": "GET", "url": self.client.query_url(s.text()).removeprefix("/services/data/")}
                for s in chunk]}
            reply = self.client._call("health read", lambda b=body: self.client.sf.restful(  # type: ignore[misc]
                "composite/batch", method="POST", json=b), read=True) or {}
            for s, part in zip(chunk, reply.get("results", []), strict=True):
                slot = f"{s.key}#{s.sobject}"
                status, result = int(part.get("statusCode", 500)), part.get("result")
                if status == 400:
                    refused[slot] = "Salesforce refused the query: " + "; ".join(
                        f"{e.get('errorCode')}: {str(e.get('message', '')).strip().splitlines()[-1]}"
                        for e in (result or []) if isinstance(e, Mapping))
                    continue
                if status >= 400:
                    raise self.client._sub_error(slot, status, result)
                rows = self.client.rest_of(result or {}, slot) if not s.group else list((result or {}).get("records", []))
                if s.group is None and s.select == "COUNT()":
                    rows = [{"n": int((result or {}).get("totalSize", 0))}]
                results.setdefault(slot, []).extend(rows)
                if s.group and len(rows) == GROUP_ROWS:
                    following.append(replace(s, after=str(rows[-1].get(s.group))))
        return following

    def _answer(self, q: Query, built: _Built, results: Mapping[str, list[Mapping[str, Any]]],
                users: Mapping[str, tuple[str, bool]]) -> Answer:
        counts: dict[str, int] = {}
        distinct: int | None = None
        for s in built.statements:
            for row in results.get(f"{q.key}#{s.sobject}", []):
                n = int(row.get("n") or 0)
                if q.distinct:
                    distinct = (distinct or 0) + int(row.get("d") or 0)
                    counts[""] = counts.get("", 0) + n
                    continue
                key = self._key(q, s, row, users)
                counts[key] = counts.get(key, 0) + n
        if q.by == "stage":
            for m in q.match:
                for stage in m.stages:
                    part = f"{m.pipeline}.{stage}"
                    if part not in built.missing:
                        counts.setdefault(part, 0)
        if q.by == "total":
            counts.setdefault("", 0)
        return Answer(counts, distinct=distinct, missing=dict(built.missing))

    def _key(self, q: Query, s: _Soql, row: Mapping[str, Any], users: Mapping[str, tuple[str, bool]]) -> str:
        if q.by in ("owner", "active_owner"):
            email, active = users.get(str(row.get("OwnerId")), ("", False))
            if not (active and email):
                return NO_ACTIVE_OWNER
            return email if q.by == "owner" else ACTIVE_OWNER
        if q.by == "stage":
            value = str(row.get(s.group or "") or "")
            pipeline = next(str(m.pipeline) for m in q.match if m.pipeline)
            stage = self.state.stage_names.get(pipeline, {}).get(value.lower())
            if stage is None:
                raise ProviderError(f"Salesforce answered stage {value!r}, which pipeline {pipeline} does not have",
                                    context="salesforce health")
            return f"{pipeline}.{stage}"
        if q.by == "value":
            return str(row.get(s.group or "") or "")
        return ""
