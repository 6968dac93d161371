"""What each KPI must say about a population, counted record by record with no query in between.

Deliberately plain: it reads the population's records (not an org, not a query), so a figure a
provider gets through its aggregate reads and the figure here agree only when both are right.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from crmconf.health.kpis import Context
from crmconf.health.stages import stale_after
from crmconf.spec.model import OBJECTS, Spec
from tests.health.population import Population, Record


def filled(r: Record, name: str) -> bool:
    if name == "owner":
        return r.owner is not None
    value: Any = r.values.get(name)
    if isinstance(value, bool):
        return value
    return value not in (None, "", [])


def completion(spec: Spec, pop: Population) -> dict[str, tuple[int, int]]:
    """Stage "pipeline.stage" -> (records lacking a required field, records); plus "" for the whole org."""
    out: dict[str, tuple[int, int]] = {}
    for p in spec.pipelines:
        for s in p.stages:
            if not s.require:
                continue
            held = [r for r in pop.of(p.object) if r.pipeline == p.name and r.stage == s.name]
            lacking = sum(1 for r in held if not all(filled(r, f) for f in s.require))
            out[f"{p.name}.{s.name}"] = (lacking, len(held))
    out[""] = (sum(b for b, _ in out.values()), sum(t for _, t in out.values()))
    return out


def stale(spec: Spec, pop: Population) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for p in spec.pipelines:
        if p.object != "deal":
            continue
        cutoff = pop.now - stale_after(Context(spec, pop.now), p)
        for s in p.stages:
            if s.outcome is not None:
                continue
            held = [r for r in pop.of("deal") if r.pipeline == p.name and r.stage == s.name]
            late = sum(1 for r in held if r.stage_entered_at is not None and r.stage_entered_at < cutoff)
            out[f"{p.name}.{s.name}"] = (late, len(held))
    out[""] = (sum(b for b, _ in out.values()), sum(t for _, t in out.values()))
    return out


def stale_by_owner(spec: Spec, pop: Population) -> Counter[str]:
    found: Counter[str] = Counter()
    for p in spec.pipelines:
        if p.object != "deal":
            continue
        cutoff = pop.now - stale_after(Context(spec, pop.now), p)
        open_stages = {s.name for s in p.stages if s.outcome is None}
        for r in pop.of("deal"):
            if r.pipeline == p.name and r.stage in open_stages and r.stage_entered_at and r.stage_entered_at < cutoff:
                found[r.owner if r.owner and pop.users.get(r.owner) else ""] += 1
    return found


def off_list(spec: Spec, pop: Population) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for obj in OBJECTS:
        for f in spec.fields.get(obj, ()):  # type: ignore[call-overload]
            if f.type != "picklist" or not f.options:
                continue
            allowed = {o.value for o in f.options}
            holding = [r for r in pop.of(obj) if filled(r, f.name)]
            out[f"{obj}.{f.name}"] = (sum(1 for r in holding if r.values[f.name] not in allowed), len(holding))
    out[""] = (sum(b for b, _ in out.values()), sum(t for _, t in out.values()))
    return out


def lead_source(spec: Spec, pop: Population) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for obj in OBJECTS:
        if spec.field(obj, "lead_source") is None:
            continue
        records = list(pop.of(obj))
        out[f"{obj}.lead_source"] = (sum(1 for r in records if not filled(r, "lead_source")), len(records))
    out[""] = (sum(b for b, _ in out.values()), sum(t for _, t in out.values()))
    return out


def owners(spec: Spec, pop: Population) -> dict[str, tuple[int, int]]:
    used = set(spec.fields) | {p.object for p in spec.pipelines}
    out: dict[str, tuple[int, int]] = {}
    for obj in OBJECTS:
        if obj not in used:
            continue
        records = list(pop.of(obj))
        out[obj] = (sum(1 for r in records if not (r.owner and pop.users.get(r.owner))), len(records))
    out[""] = (sum(b for b, _ in out.values()), sum(t for _, t in out.values()))
    return out


def duplicates(keys: list[tuple[str, str]], pop: Population) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for obj, name in keys:
        values = [str(r.values[name]).casefold() for r in pop.of(obj) if filled(r, name)]
        out[f"{obj}.{name}"] = (len(values) - len(set(values)), len(values))
    out[""] = (sum(b for b, _ in out.values()), sum(t for _, t in out.values()))
    return out


def activity(pop: Population, window: timedelta = timedelta(weeks=1)) -> dict[str, int]:
    """Active deal owners -> activities logged in the window."""
    reps = {r.owner for r in pop.of("deal") if r.owner and pop.users.get(r.owner)}
    since = pop.now - window
    logged = Counter(r.owner for r in pop.of("activity") if r.created_at >= since)
    return {rep: logged.get(rep, 0) for rep in sorted(reps)}
