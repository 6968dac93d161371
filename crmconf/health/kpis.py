"""The KPI catalogue, the settings each KPI takes from the spec, and how a figure meets its target (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from crmconf.health.model import Cell, Scope, Status, Target, Unit
from crmconf.health.query import Answer, Unmeasured
from crmconf.spec.model import OBJECTS, Health, Kpi, Spec, parse_duration


@dataclass(frozen=True)
class Info:
    title: str
    unit: Unit
    meaning: str  # what the figure counts
    practice: str  # the practice of the spec it measures


CATALOGUE: dict[str, Info] = {
    "required_field_completion": Info(
        "Required fields filled", "percent",
        "The share of records in each stage that hold every field the stage requires.",
        "Stage exit criteria: each stage's `require` list (the validation rules and manual steps built from it)."),
    "stale_deals": Info(
        "Stale deals", "count",
        "Open deals that have sat in one stage longer than the pipeline's stale rule.",
        "Pipeline hygiene: the pipeline's `stale_in_stage` automation (the stalled-deal alert), else 14 days."),
    "off_list_values": Info(
        "Values outside the picklists", "count",
        "Records whose picklist holds a value that is not one of the field's options.",
        "The agreed picklists: each picklist field's `options`, signed off by the council."),
    "lead_source_coverage": Info(
        "Lead source filled", "percent",
        "The share of records that say where they came from.",
        "Attribution: the `lead_source` field that forms, imports and reps must set."),
    "owner_coverage": Info(
        "Records with an active owner", "percent",
        "The share of records owned by a user who is still active.",
        "Ownership: routing automations and reassignment when people leave."),
    "duplicates": Info(
        "Duplicates", "count",
        "Records that repeat an earlier record's dedup key (the same value, ignoring case).",
        "Dedup keys: `unique` fields, contact e-mail and company domain."),
    "activity_per_user": Info(
        "Activity logged per user", "per_user",
        "Activities (calls, e-mails, meetings, tasks, notes) each deal owner logged in the window.",
        "Activity logging: reps record what they do with customers."),
}
KPI_NAMES = tuple(CATALOGUE)


@dataclass(frozen=True)
class Context:
    """What every KPI plans and computes from: the spec, its health settings, the moment measured."""

    spec: Spec
    now: datetime

    @property
    def health(self) -> Health:
        return self.spec.health

    def settings(self, kpi: str) -> Any:
        return getattr(self.health, kpi)

    def enabled(self, kpi: str) -> bool:
        setting: Kpi = self.settings(kpi)
        return setting.enabled

    def notify(self, kpi: str) -> tuple[str, ...]:
        """Teams told when the KPI escalates: its own `notify`, then the section's."""
        setting: Kpi = self.settings(kpi)
        return tuple(dict.fromkeys((*setting.notify, *self.health.notify)))

    def escalate_days(self, kpi: str) -> float:
        setting: Kpi = self.settings(kpi)
        return parse_duration(setting.escalate_after or self.health.escalate_after).total_seconds() / 86400

    def target(self, kpi: str) -> Target:
        raw = self.settings(kpi).target
        if isinstance(raw, str):
            return Target(raw, percent=float(raw.rstrip("%")))
        if CATALOGUE[kpi].unit == "per_user":
            per = self.settings(kpi).per
            return Target(f"{raw} per {per}", count=float(raw))
        return Target(str(raw), count=float(raw))

    @cached_property
    def team_of(self) -> Mapping[str, str]:
        """Person (e-mail, lower case) -> team, from a `teams` section when the spec has one."""
        found: dict[str, str] = {}
        for team in getattr(self.spec, "teams", ()) or ():
            for member in getattr(team, "members", ()) or ():
                email = getattr(member, "email", None)
                if email:
                    found.setdefault(str(email).lower(), str(team.name))
        return found

    def objects_used(self) -> tuple[str, ...]:
        """Objects the spec declares fields or pipelines on, in the language's order."""
        used = set(self.spec.fields) | {p.object for p in self.spec.pipelines}
        return tuple(o for o in OBJECTS if o in used)


# --- figures against targets ------------------------------------------------------------------------


def status_of(unit: Unit, target: Target, bad: int | None, total: int | None, value: float | None) -> Status:
    if value is None and (unit != "count" or bad is None):
        return "empty"
    if unit == "percent":
        assert value is not None and target.percent is not None
        return "below" if value < target.percent else "ok"
    if unit == "per_user":
        assert value is not None and target.count is not None
        return "below" if value < target.count else "ok"
    assert bad is not None
    if target.percent is not None:
        share = 100.0 * bad / total if total else 0.0
        return "below" if share > target.percent else "ok"
    return "below" if target.count is not None and bad > target.count else "ok"


def value_of(unit: Unit, bad: int | None, total: int | None) -> float | None:
    if unit == "percent":
        return None if not total or bad is None else round(100.0 * (total - bad) / total, 2)
    if unit == "count":
        return None if bad is None else float(bad)
    return None if total is None else float(total)


def cell(scope: Scope, name: str, bad: int | None, total: int | None, unit: Unit, target: Target, *,
         team: str | None = None, note: str | None = None, detail: tuple[tuple[str, int], ...] = (),
         value: float | None = None) -> Cell:
    figure = value if value is not None else value_of(unit, bad, total)
    return Cell(scope, name, bad, total, figure, status_of(unit, target, bad, total, figure), team, note, detail)


def unmeasured(scope: Scope, name: str, reason: str, team: str | None = None) -> Cell:
    return Cell(scope, name, None, None, None, "unmeasured", team, reason)


def rollup(scope: Scope, name: str, parts: Iterable[Cell], unit: Unit, target: Target, *,
           team: str | None = None) -> Cell:
    """The sum of the measured parts; a part that could not be measured is named in the note."""
    parts = list(parts)
    measured = [c for c in parts if c.status != "unmeasured" and c.total is not None]
    missing = [c.name for c in parts if c.status == "unmeasured"]
    if not measured:
        reason = "; ".join(sorted({c.note or "" for c in parts if c.note})) or "nothing to measure"
        return unmeasured(scope, name, reason, team) if missing else cell(scope, name, 0, 0, unit, target, team=team)
    bad = sum(c.bad or 0 for c in measured)
    total = sum(c.total or 0 for c in measured)
    note = f"without {', '.join(missing)} (not measurable here)" if missing else None
    return cell(scope, name, bad, total, unit, target, team=team, note=note)


def counts(answer: Answer | Unmeasured) -> Mapping[str, int] | None:
    return answer.counts if isinstance(answer, Answer) else None


def reason(*answers: Answer | Unmeasured) -> str:
    return "; ".join(dict.fromkeys(a.reason for a in answers if isinstance(a, Unmeasured))) or "not measured"


def missing(answer: Answer | Unmeasured, key: str) -> str | None:
    """Why one part (a stage, a value) of an answer could not be counted, if it could not."""
    if isinstance(answer, Unmeasured):
        return answer.reason
    return answer.missing.get(key)
