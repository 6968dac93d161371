"""The audit as stable, versioned JSON (`format_version`), for scripts and dashboards."""

from __future__ import annotations

import json
from typing import Any

from crmconf.audit.model import AuditReport, AuditRow
from crmconf.render.audit_cells import day, moment

FORMAT_VERSION = 1


def row_dict(row: AuditRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "kind": row.kind,
        "object": row.object,
        "owner": row.owner,
        "owner_active": row.owner_active,
        "team": row.team,
        "purpose": row.purpose,
        "runs": row.runs,
        "failed_runs": row.failed_runs,
        "runs_unknown": row.runs_unknown,
        "last_review": (
            dict(zip(("by", "decision", "note"), row.last_review, strict=True)) if row.last_review else None
        ),
        "reviewed": day(row.reviewed) or None,
        "next_review": day(row.next_review) or None,
        "live_address": row.live_address,
        "live_status": row.live_status.value,
        "updated_at": moment(row.updated_at) or None,
        "updated_by": row.updated_by,
        "verdicts": [v.value for v in row.verdicts],
        "source": str(row.source) if row.source else None,
    }


def to_dict(report: AuditReport) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "as_of": report.as_of.isoformat(),
        "offline": report.offline,
        "target": report.target,
        "provider": report.provider,
        "users_known": report.users_known,
        "runs_note": report.runs_note,
        "runs_days": report.runs_days,
        "review_due_soon_days": report.review_due_soon_days,
        "fail_on": [v.value for v in report.fail_on],
        "failed": report.failed,
        "summary": {"automations": len(report.rows), **{v.value: n for v, n in report.counts.items()}},
        "rows": [row_dict(r) for r in report.rows],
    }


def render(report: AuditReport) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False)
