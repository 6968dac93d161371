"""One order for the stage values of many processes: Salesforce keeps a single order per value set.

A process lists its values but not their order: every record's path shows them in the order of the
standard value set (OpportunityStage, CaseStatus, LeadStatus). So the spec's pipelines that share a
value set must agree on the relative order of the values they share, and crmconf writes that order
into the set. `merge` finds an order every pipeline agrees with (a topological merge that keeps each
pipeline's order and, between pipelines, the order they are written in), or the first disagreement;
`arrange` puts a value set's values in that order, moving only the values the order names.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Conflict:
    first: str  # a pipeline address
    second: str  # a later pipeline that orders two shared values the other way
    before: str  # the value `first` puts before `after`
    after: str


def merge(sequences: Sequence[tuple[str, Sequence[str]]]) -> tuple[list[str], Conflict | None]:
    """The values of every (pipeline, values) in one order that keeps each pipeline's (case-insensitive)."""
    seen: dict[str, str] = {}  # lower -> as first written
    rank: dict[str, int] = {}
    after: dict[str, set[str]] = {}
    owner: dict[tuple[str, str], str] = {}
    for pipeline, values in sequences:
        for v in values:
            key = v.lower()
            seen.setdefault(key, v)
            rank.setdefault(key, len(rank))
            after.setdefault(key, set())
        for a, b in itertools.pairwise(values):
            ka, kb = a.lower(), b.lower()
            if (kb, ka) in owner:
                return [], Conflict(owner[(kb, ka)], pipeline, b, a)
            owner.setdefault((ka, kb), pipeline)
            after[ka].add(kb)
    waiting = {k: 0 for k in after}
    for targets in after.values():
        for t in targets:
            waiting[t] += 1
    ready = [(rank[k], k) for k, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    out: list[str] = []
    while ready:
        _, key = heapq.heappop(ready)
        out.append(seen[key])
        for t in after[key]:
            waiting[t] -= 1
            if waiting[t] == 0:
                heapq.heappush(ready, (rank[t], t))
    if len(out) < len(seen):  # a cycle through several pipelines: name two of its values
        left = sorted((k for k in seen if seen[k] not in out), key=rank.__getitem__)
        a = left[0]
        b = next(iter(after[a] & set(left)), left[-1])
        return [], Conflict(owner.get((a, b), sequences[0][0]), sequences[-1][0], seen[a], seen[b])
    return out, None


def arrange(current: Sequence[str], order: Sequence[str]) -> list[str]:
    """`current` (a value set's values) with the values `order` names in that order, each other value
    kept where it is: the named values swap places among the positions they already hold."""
    wanted = {v.lower(): i for i, v in enumerate(order)}
    slots = [i for i, v in enumerate(current) if v.lower() in wanted]
    named = sorted((current[i] for i in slots), key=lambda v: wanted[v.lower()])
    out = list(current)
    for i, v in zip(slots, named, strict=True):
        out[i] = v
    return out
