"""Spec inventory + live automations + a date -> AuditReport. Pure: no I/O, no clock, no rendering."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from crmconf import address as addr
from crmconf.audit.model import VERDICT_ORDER, AuditReport, AuditRow, LiveStatus, Verdict
from crmconf.audit.runs import RunCounts
from crmconf.engine.native import automation_address
from crmconf.engine.resource import LiveObject, Snapshot
from crmconf.spec.checks.inventory import next_review
from crmconf.spec.diagnostics import Location
from crmconf.spec.model import Automation, Spec, parse_duration
from crmconf.spec.workspace import Sources

CRMCONF_WRITER = "crmconf"


@dataclass(frozen=True)
class _Live:
    """What is known live, shared by every row (None everywhere when offline)."""

    snapshot: Snapshot | None
    provider: str | None
    users: Mapping[str, bool] | None  # e-mail (lower case) -> active; None when the provider knows no users
    automations: Mapping[str, LiveObject]
    runs: RunCounts | None = None  # what the provider's `run_counts` hook counted (crmconf/audit/runs.py)
    verified_until: datetime | None = None  # when crmconf's latest verified apply to the target ended


def compute(
    spec: Spec,
    *,
    as_of: date,
    snapshot: Snapshot | None = None,
    provider: str | None = None,
    target: str | None = None,
    sources: Sources | None = None,
    runs: RunCounts | None = None,
    runs_days: int | None = None,
    verified_until: datetime | None = None,
) -> AuditReport:
    """Offline when `snapshot` is None: nothing is known live, so no missing/orphan/changed/owner verdicts."""
    policies = spec.config.policies
    soon = parse_duration(policies.review_due_soon)
    live = _Live(snapshot, provider, _users(snapshot), _live_automations(snapshot), runs, verified_until)
    rows: list[AuditRow] = []
    claimed: set[str] = set()
    latest = {r.automation: (r.by, r.decision, r.note) for r in sorted(spec.reviews, key=lambda r: r.on)}
    for automation in spec.automations:
        address = automation_address(automation, provider) if snapshot is not None and provider else None
        if address is not None:
            claimed.add(address)
        due = next_review(automation, policies)
        location = sources.locate(addr.automation(automation.name)) if sources is not None else None
        rows.append(
            _inventory_row(
                automation, due, as_of, soon, live, address, location, policies.audit_failing_percent,
                latest.get(automation.name),
            )
        )
    rows.extend(
        _orphan_row(obj) for address, obj in sorted(live.automations.items()) if address not in claimed
    )
    return AuditReport(
        as_of=as_of,
        offline=snapshot is None,
        target=target,
        provider=provider,
        review_due_soon_days=soon.days,
        fail_on=tuple(Verdict(v) for v in policies.audit_fail_on),
        rows=tuple(rows),
        users_known=live.users is not None,
        runs_note=runs.note if runs is not None else None,
        runs_days=runs_days if runs is not None else None,
    )


def spec_automations(spec: Spec, snapshot: Snapshot, provider: str) -> list[LiveObject]:
    """The live automations the spec names (compiled or bound): the only ones whose runs are asked for."""
    live = _live_automations(snapshot)
    addresses = (automation_address(a, provider) for a in spec.automations)
    return [live[a] for a in dict.fromkeys(addresses) if a is not None and a in live]


def _users(snapshot: Snapshot | None) -> Mapping[str, bool] | None:
    users = snapshot.facts.get("users") if snapshot is not None else None
    if not isinstance(users, Mapping) or not users:
        return None
    return {str(email).lower(): bool(active) for email, active in users.items()}


def _live_automations(snapshot: Snapshot | None) -> Mapping[str, LiveObject]:
    if snapshot is None:
        return {}
    return {a: o for a, o in snapshot.objects.items() if o.kind == "automation"}


def _inventory_row(
    a: Automation,
    due: date | None,
    as_of: date,
    soon: timedelta,
    live: _Live,
    address: str | None,
    location: Location | None,
    failing_percent: int = 10,
    last_review: tuple[str, str, str | None] | None = None,
) -> AuditRow:
    found: set[Verdict] = set()
    # Never reviewed counts as overdue: the review it needs is already late.
    if due is None or due < as_of:
        found.add(Verdict.OVERDUE)
    elif due <= as_of + soon:
        found.add(Verdict.DUE_SOON)
    owner_active = None
    if a.owner is not None and live.users is not None:
        owner_active = live.users.get(a.owner.lower(), False)  # not a user at all is not an active user
    if a.owner is None or owner_active is False:
        found.add(Verdict.UNOWNED)
    obj = live.automations.get(address) if address is not None else None
    runs, failed, runs_unknown = _runs(obj, live.runs)
    found |= _run_verdicts(obj, runs, failed, failing_percent)
    status = LiveStatus.UNKNOWN
    updated_at, updated_by = None, None
    if address is not None:
        status = _status(obj)
        if obj is None:
            found.add(Verdict.MISSING)
        else:
            updated_at, updated_by = _updated(obj)
            # A review covers the whole day it was made on, so only a later day counts as a change; and
            # an automation that is exactly what crmconf last wrote from the (reviewed) spec was not
            # changed outside it (providers say so with `updated_by: crmconf`, docs/provider-contract.md).
            if (updated_at is not None and a.reviewed is not None and updated_at.date() > a.reviewed
                    and updated_by != CRMCONF_WRITER and not _left_by_crmconf(a, updated_at, live.verified_until)):
                found.add(Verdict.CHANGED)
    return AuditRow(
        name=a.name,
        kind=a.kind,
        object=a.object,
        owner=a.owner,
        owner_active=owner_active,
        team=a.team,
        purpose=a.purpose,
        reviewed=a.reviewed,
        next_review=due,
        live_address=address,
        live_status=status,
        updated_at=updated_at,
        updated_by=updated_by,
        verdicts=_ordered(found),
        source=location,
        runs=runs,
        failed_runs=failed,
        runs_unknown=runs_unknown,
        last_review=last_review,
    )


def _left_by_crmconf(a: Automation, updated_at: datetime, verified_until: datetime | None) -> bool:
    """Last changed no later than a verified apply: that apply read the automation back exactly as the (reviewed)
    spec compiles it, so whatever changed it before was brought to the spec, by crmconf. Only for automations
    crmconf compiles: a bound one is compared on status and description alone, so a hand edit of the rest
    would survive a verified apply. The vendor's clock and the applier's are compared, to the second."""
    if a.binds is not None or verified_until is None:
        return False
    at = updated_at if updated_at.tzinfo else updated_at.replace(tzinfo=UTC)
    return at.replace(microsecond=0) <= verified_until


def _orphan_row(obj: LiveObject) -> AuditRow:
    """Live but in no spec: ownership and review are inventory facts, so `orphan` says it all."""
    updated_at, updated_by = _updated(obj)
    return AuditRow(
        name=obj.address,
        kind="unmanaged",
        object=_str(obj.attrs.get("object")),
        owner=None,
        owner_active=None,
        team=None,
        purpose=None,
        reviewed=None,
        next_review=None,
        live_address=obj.address,
        live_status=_status(obj),
        updated_at=updated_at,
        updated_by=updated_by,
        verdicts=(Verdict.ORPHAN,),
    )


def _ordered(found: set[Verdict]) -> tuple[Verdict, ...]:
    return tuple(v for v in VERDICT_ORDER if v in found) or (Verdict.OK,)


def _status(obj: LiveObject | None) -> LiveStatus:
    if obj is None:
        return LiveStatus.ABSENT
    value = obj.attrs.get("status")
    return {"active": LiveStatus.ACTIVE, "inactive": LiveStatus.INACTIVE}.get(str(value), LiveStatus.UNKNOWN)


def _updated(obj: LiveObject) -> tuple[datetime | None, str | None]:
    raw = obj.meta.get("updated_at")
    at: datetime | None = None
    if isinstance(raw, datetime):
        at = raw
    elif isinstance(raw, str):
        try:
            at = datetime.fromisoformat(raw)
        except ValueError:
            at = None  # a vendor timestamp we cannot read is reported as unknown, not guessed
    return at, _str(obj.meta.get("updated_by"))


def _str(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _runs(obj: LiveObject | None, counted: RunCounts | None) -> tuple[int | None, int | None, str | None]:
    """(runs, failed, why unknown): from the provider's run_counts hook, else what `fetch` reported as
    usage `runs` / `failed_runs` (docs/provider-contract.md), else unknown. A count of failures the vendor
    does not keep stays None: it is never read as zero."""
    if obj is None:
        return None, None, None
    if counted is not None:
        if obj.address in counted.counts:
            c = counted.counts[obj.address]
            return c.runs, c.failed, None
        if obj.address in counted.unknown:
            return None, None, counted.unknown[obj.address]
    if "runs" not in obj.usage:
        return None, None, counted.note if counted is not None else None
    failed = obj.usage.get("failed_runs")
    return int(obj.usage["runs"]), None if failed is None else int(failed), None


def _run_verdicts(obj: LiveObject | None, runs: int | None, failed: int | None, percent: int) -> set[Verdict]:
    if obj is None or runs is None:
        return set()  # the vendor does not count runs: nothing is claimed either way
    found = set()
    if runs == 0 and _status(obj) is LiveStatus.ACTIVE:
        found.add(Verdict.UNUSED)
    if failed and failed * 100 >= percent * max(runs, 1):
        found.add(Verdict.FAILING)
    return found
