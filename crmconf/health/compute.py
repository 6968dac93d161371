"""Spec + moment -> the queries to ask; spec + answers -> the health report. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from crmconf.health import activity, records, stages
from crmconf.health.kpis import KPI_NAMES, Context
from crmconf.health.model import HealthReport, KpiResult
from crmconf.health.query import Measured, Query
from crmconf.spec.model import Spec
from crmconf.spec.standard import STANDARD_FIELDS

Planner = Callable[[Context], list[Query]]
Computer = Callable[[Context, Measured], KpiResult]

KPIS: dict[str, tuple[Planner, Computer]] = {
    "required_field_completion": (stages.plan_completion, stages.compute_completion),
    "stale_deals": (stages.plan_stale, stages.compute_stale),
    "off_list_values": (records.plan_off_list, records.compute_off_list),
    "lead_source_coverage": (records.plan_lead_source, records.compute_lead_source),
    "owner_coverage": (records.plan_owners, records.compute_owners),
    "duplicates": (records.plan_duplicates, records.compute_duplicates),
    "activity_per_user": (activity.plan_activity, activity.compute_activity),
}
assert tuple(KPIS) == KPI_NAMES  # the catalogue and the computations name the same KPIs, in one order


def enabled(spec: Spec) -> tuple[str, ...]:
    ctx = Context(spec, datetime.min)
    return tuple(name for name in KPIS if ctx.enabled(name))


def plan(spec: Spec, now: datetime) -> tuple[Query, ...]:
    """Every query the enabled KPIs need, each once (KPIs share some, such as records per stage), with
    the spec type of each field it names."""
    ctx = Context(spec, now)
    found: dict[str, Query] = {}
    for name in enabled(spec):
        for query in KPIS[name][0](ctx):
            if found.setdefault(query.key, query) != query:
                raise AssertionError(f"two KPIs ask different things under one key: {query.key}")
    return tuple(_typed(spec, q) for q in found.values())


def _typed(spec: Spec, query: Query) -> Query:
    def kind(name: str) -> str:
        declared = spec.field(query.object, name)
        return declared.type if declared is not None else STANDARD_FIELDS.get(query.object, {}).get(name, "text")

    return replace(query, types=tuple(sorted((n, kind(n)) for n in query.fields())))


def compute(spec: Spec, measured: Measured, *, now: datetime, target: str, provider: str) -> HealthReport:
    ctx = Context(spec, now)
    kpis = tuple(KPIS[name][1](ctx, measured) for name in enabled(spec))
    return HealthReport(now, target, provider, kpis, measured.requests, measured.notes)
