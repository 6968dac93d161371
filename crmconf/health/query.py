"""What `crmconf health` asks a provider: counts of records, never the records themselves.

A provider that can measure health implements the optional method `measure(queries) -> Measured`
(docs/provider-contract.md). Each `Query` names a vendor-neutral object and fields (spec names), and
the provider translates it into the vendor's aggregate reads (SOQL COUNT()/GROUP BY, CRM search
totals, the local org's records), batching as its API allows. What a vendor cannot count is answered
`Unmeasured` with the reason, never guessed.

A query matches the records of any of its `Match` groups (OR of ANDs). The planner never lets two
groups of one query match the same record (each names other stages), so a provider may run the groups
in separate requests and add the counts up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# Activities (calls, e-mails, meetings, tasks, notes) are one neutral object for health.
ACTIVITY = "activity"
# By owner, records with no owner or an owner who is not an active user are counted under this key.
NO_ACTIVE_OWNER = ""

By = Literal["total", "stage", "owner", "active_owner", "value"]
ACTIVE_OWNER = "active"  # by "active_owner": records owned by an active user (the rest: NO_ACTIVE_OWNER)


@dataclass(frozen=True)
class Match:
    """One AND-group: where a record sits and what its fields hold (spec names throughout)."""

    pipeline: str | None = None
    stages: tuple[str, ...] = ()  # stage names of `pipeline`; () is any stage of it
    filled: tuple[str, ...] = ()  # fields that hold a value (a ticked box, for a boolean)
    blank: tuple[str, ...] = ()  # fields that hold none (an unticked box)
    outside: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (field, allowed): holds a value not allowed
    entered_stage_before: datetime | None = None  # in its current stage since before this instant
    created_since: datetime | None = None  # created at or after this instant


@dataclass(frozen=True)
class Query:
    """Count the records of `object` that any `match` group matches, split `by` one dimension.

    by "total": {"": n}; "stage": {"<pipeline>.<stage>": n} for the stages the groups name;
    "owner": {"<active owner's e-mail, lower case>": n, NO_ACTIVE_OWNER: n}; "active_owner": {ACTIVE_OWNER:
    n, NO_ACTIVE_OWNER: n} (the same split without naming owners: cheaper where a vendor counts one owner
    at a time); "value": {"<value of field>": n}. `distinct`: also count the distinct values of `field` (ignoring case), for duplicates.
    """

    key: str
    object: str
    match: tuple[Match, ...] = (Match(),)
    by: By = "total"
    field: str | None = None
    distinct: bool = False
    # The spec type (text, boolean, picklist, textarea, ...) of every field the query names, so a provider
    # knows that a box is "filled" when ticked, or that its vendor cannot filter on long text.
    types: tuple[tuple[str, str], ...] = ()

    def type_of(self, name: str) -> str:
        return dict(self.types).get(name, "text")

    def fields(self) -> set[str]:
        names = {n for m in self.match for n in (*m.filled, *m.blank, *(f for f, _ in m.outside))}
        return names | ({self.field} if self.field else set())


@dataclass(frozen=True)
class Answer:
    counts: Mapping[str, int]
    distinct: int | None = None
    note: str | None = None  # what the figure rests on, when it is not a plain count (say, a vendor rule)
    # Parts the vendor could not count, left out of `counts`: "<pipeline>.<stage>" of a group (or a
    # field) -> why. A group that needs one is dropped whole, so what is counted stays exact.
    missing: Mapping[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Unmeasured:
    """What the vendor's API cannot count (or crmconf cannot map), said plainly."""

    reason: str


@dataclass(frozen=True)
class Measured:
    answers: Mapping[str, Answer | Unmeasured]
    users: Mapping[str, bool] = field(default_factory=dict)  # owner e-mail (lower case) -> active
    requests: int = 0
    notes: tuple[str, ...] = ()  # about the whole read (say, a vendor limit that shaped it)

    def answer(self, key: str) -> Answer | Unmeasured:
        return self.answers.get(key) or Unmeasured("the provider did not answer this query")
