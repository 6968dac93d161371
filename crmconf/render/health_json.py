"""The health report as stable, versioned JSON (`format_version`), for scheduled jobs and dashboards."""

from __future__ import annotations

import json
from typing import Any

from crmconf.health.model import Cell, HealthReport, KpiResult
from crmconf.render import health_cells as hc

FORMAT_VERSION = 1


def _cell(c: Cell) -> dict[str, Any]:
    return {"scope": c.scope, "name": c.name, "team": c.team, "value": c.value, "bad": c.bad, "total": c.total,
            "status": c.status, "note": c.note, "detail": [{"value": v, "records": n} for v, n in c.detail]}


def _kpi(k: KpiResult) -> dict[str, Any]:
    e = k.escalation
    return {
        "name": k.name, "title": k.title, "unit": k.unit, "meaning": k.meaning, "practice": k.practice,
        "target": {"text": k.target.text, "percent": k.target.percent, "count": k.target.count},
        "value": k.overall.value, "status": k.overall.status, "escalated": k.escalation is not None,
        "overall": _cell(k.overall),
        "below_since": k.below_since.isoformat() if k.below_since else None,
        "escalate_after_days": k.escalate_after_days,
        "escalation": None if e is None else {"since": e.since.isoformat(), "days": e.days, "cells": list(e.cells),
                                              "teams": list(e.teams), "people": list(e.people)},
        "trend": [{"at": p.at.isoformat(), "value": p.value, "status": p.status} for p in k.trend],
        "cells": [_cell(c) for c in hc.ordered(k)],
    }


def to_dict(report: HealthReport) -> dict[str, Any]:
    teams, people = hc.notify_list(report)
    return {
        "format_version": FORMAT_VERSION,
        "at": report.at.isoformat(),
        "target": report.target,
        "provider": report.provider,
        "requests": report.requests,
        "history": report.history,
        "summary": {"kpis": len(report.kpis), "below": [k.name for k in report.below],
                    "escalated": [k.name for k in report.escalated]},
        "notify": {"teams": teams, "people": people},
        "notes": list(report.notes),
        "kpis": [_kpi(k) for k in report.kpis],
    }


def render(report: HealthReport) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False)
