"""`crmconf health` on the local org: the health queries counted over the org file's records.

Records live in the org under `records.<object>` (deal, contact, company, ticket, lead, activity), each
a mapping of spec field names to values plus `id`, `pipeline`, `stage`, `owner` (an e-mail),
`created_at` and `stage_entered_at` (ISO datetimes). Users are `users: [{email, active}]`.
One pass over each object's records answers every query on it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from crmconf.health.query import ACTIVE_OWNER, NO_ACTIVE_OWNER, Answer, Match, Measured, Query, Unmeasured

Record = Mapping[str, Any]


def filled(value: Any) -> bool:
    """A box counts as filled when ticked (the same rule as a stage's required checkbox)."""
    if isinstance(value, bool):
        return value
    return value not in (None, "", [])


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _test(m: Match) -> Callable[[Record], bool]:
    stages = set(m.stages)

    def matches(r: Record) -> bool:
        if m.pipeline is not None and (r.get("pipeline") != m.pipeline or (stages and r.get("stage") not in stages)):
            return False
        if not all(filled(r.get(f)) for f in m.filled) or any(filled(r.get(f)) for f in m.blank):
            return False
        for name, allowed in m.outside:
            value = r.get(name)
            if not filled(value) or str(value) in allowed:
                return False
        if m.entered_stage_before is not None:
            entered = _when(r.get("stage_entered_at")) or _when(r.get("created_at"))
            if entered is None or entered >= m.entered_stage_before:
                return False
        if m.created_since is not None:
            created = _when(r.get("created_at"))
            if created is None or created < m.created_since:
                return False
        return True

    return matches


class _Tally:
    """One query's running counts, fed record by record."""

    def __init__(self, query: Query, active: Mapping[str, bool]) -> None:
        self.query, self.active = query, active
        self.tests = [(m, _test(m)) for m in query.match]
        self.counts: Counter[str] = Counter()
        self.values: set[str] = set()

    def feed(self, r: Record) -> None:
        group = next((m for m, test in self.tests if test(r)), None)
        if group is None:
            return
        q = self.query
        if q.by == "stage":
            self.counts[f"{r.get('pipeline')}.{r.get('stage')}"] += 1
        elif q.by in ("owner", "active_owner"):
            owner = str(r.get("owner") or "").lower()
            if not self.active.get(owner):
                self.counts[NO_ACTIVE_OWNER] += 1
            else:
                self.counts[owner if q.by == "owner" else ACTIVE_OWNER] += 1
        elif q.by == "value":
            self.counts[str(r.get(q.field or ""))] += 1
        else:
            self.counts[""] += 1
        if q.distinct and q.field:
            self.values.add(str(r.get(q.field)).casefold())

    def answer(self) -> Answer:
        q = self.query
        found = dict(self.counts)
        if q.by == "stage":  # every stage the groups name is answered, zeros included
            for m in q.match:
                for s in m.stages:
                    found.setdefault(f"{m.pipeline}.{s}", 0)
        if q.by == "total":
            found.setdefault("", 0)
        return Answer(found, distinct=len(self.values) if q.distinct else None)


def measure(org: Mapping[str, Any], queries: Sequence[Query]) -> Measured:
    active = {str(u["email"]).lower(): bool(u.get("active", True)) for u in org.get("users", [])}
    records: Mapping[str, Iterable[Record]] = org.get("records", {})
    by_object: dict[str, list[_Tally]] = {}
    for q in queries:
        by_object.setdefault(q.object, []).append(_Tally(q, active))
    for obj, tallies in by_object.items():
        for r in records.get(obj, ()):
            for tally in tallies:
                tally.feed(r)
    answers: dict[str, Answer | Unmeasured] = {t.query.key: t.answer() for ts in by_object.values() for t in ts}
    return Measured(answers, users=active, requests=1)
