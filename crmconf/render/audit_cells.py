"""The audit report as display strings, shared by every audit renderer so the formats agree cell for cell."""

from __future__ import annotations

from datetime import date, datetime

from crmconf.audit.model import AuditReport, AuditRow, Verdict

# (key, header): the columns of every tabular format, in order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "Automation"),
    ("kind", "Kind"),
    ("object", "Object"),
    ("owner", "Owner"),
    ("owner_active", "Owner active"),
    ("team", "Team"),
    ("purpose", "Purpose"),
    ("reviewed", "Last reviewed"),
    ("next_review", "Next review"),
    ("live_status", "Live status"),
    ("updated_at", "Last modified"),
    ("updated_by", "Modified by"),
    ("runs", "Runs"),
    ("last_review", "Last decision"),
    ("verdicts", "Verdicts"),
    ("source", "Source"),
)


def day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def moment(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else ""


def active(value: bool | None) -> str:
    return "unknown" if value is None else "yes" if value else "no"


def cells(row: AuditRow) -> dict[str, str]:
    """Every column as text; empty string for what is not known or does not apply."""
    return {
        "name": row.name,
        "kind": row.kind,
        "object": row.object or "",
        "owner": row.owner or "",
        "owner_active": active(row.owner_active) if row.owner else "",
        "team": row.team or "",
        "purpose": row.purpose or "",
        "reviewed": day(row.reviewed),
        "next_review": day(row.next_review),
        "live_status": row.live_status.value,
        "updated_at": moment(row.updated_at),
        "updated_by": row.updated_by or "",
        "runs": runs(row),
        "last_review": last_review(row),
        "verdicts": ", ".join(v.value for v in row.verdicts),
        "source": str(row.source) if row.source else "",
    }


def runs(row: AuditRow) -> str:
    if row.runs is None:
        return "unknown" if row.runs_unknown else ""
    return f"{row.runs}" + (f" ({row.failed_runs} failed)" if row.failed_runs else "")


def last_review(row: AuditRow) -> str:
    if row.last_review is None:
        return ""
    by, decision, note = row.last_review
    return f"{decision} ({by})" + (f": {note}" if note else "")


def title(report: AuditReport) -> str:
    where = "offline (spec only)" if report.offline else f"target {report.target} ({report.provider})"
    return f"crmconf automation audit: {where}, as of {report.as_of.isoformat()}"


def summary(report: AuditReport) -> str:
    """One line: how many automations, then each verdict that occurs."""
    parts = [f"{n} {v.value}" for v, n in report.counts.items() if n]
    return f"{len(report.rows)} automation(s): " + (", ".join(parts) if parts else "none")


def outcome(report: AuditReport) -> str:
    policy = ", ".join(v.value for v in report.fail_on) or "nothing"
    if report.failed:
        return f"FAIL: {len(report.findings)} automation(s) with a verdict the policy fails on ({policy})"
    return f"PASS: no automation has a verdict the policy fails on ({policy})"


def notes(report: AuditReport) -> list[str]:
    """What the reader must know to read the report right."""
    out = []
    if report.offline:
        out.append("offline: live status, missing, orphan and changed-since-review were not checked")
    elif not report.users_known:
        out.append(
            f"the provider reports no users, so owners are checked for presence only ({report.provider})"
        )
    if report.runs_days is not None:
        out.append(f"runs are counted over the {report.runs_days} days up to {report.as_of.isoformat()}")
    if report.runs_note:
        out.append(f"runs unknown on {report.provider}: {report.runs_note}; unused and failing were not checked")
    unknown = sorted({r.runs_unknown for r in report.rows if r.runs_unknown and r.runs_unknown != report.runs_note})
    out.extend(f"runs unknown for some automations: {why}" for why in unknown)
    return out


def verdict_counts(report: AuditReport) -> list[tuple[Verdict, int]]:
    return list(report.counts.items())
