"""Side effects of a change on records and reports, said in the plan so nobody learns them afterwards.

A change can be harmless to the configuration and still move money: a stage's new probability
re-weights the forecast of every open deal in it; a new outcome moves records between open, won and
lost in every report; a field becoming required blocks saving records that lack it. These are not
destructive (nothing is lost), so they need no `--allow-destroy`, but the council must see them.
"""

from __future__ import annotations

from crmconf.engine.changes import Action, AttrChange, Change
from crmconf.engine.resource import LiveObject


def _records(live: LiveObject | None) -> str:
    if live is None or "records" not in live.usage:
        return "the records in it"
    n = live.usage["records"]
    return f"{n} record(s) in it" if n else "no records today (future ones)"


def _pct(value: object) -> str:
    return "unset" if value is None else f"{value}%"


def of_update(kind: str, changed: tuple[AttrChange, ...], live: LiveObject | None) -> tuple[str, ...]:
    found: list[str] = []
    attrs = {a.name: a for a in changed}
    if kind == "stage" and "probability" in attrs:
        a = attrs["probability"]
        found.append(
            f"forecast: {_records(live)} weigh {_pct(a.after)} instead of {_pct(a.before)} in weighted pipeline"
        )
    if kind == "stage" and "outcome" in attrs:
        a = attrs["outcome"]
        found.append(
            f"reports: {_records(live)} count as {a.after or 'open'} instead of {a.before or 'open'}"
        )
    if kind == "field" and "required" in attrs and attrs["required"].after and not attrs["required"].before:
        found.append("data entry: records without a value cannot be saved until someone fills it in")
    if kind == "automation" and "status" in attrs:
        now = attrs["status"].after
        found.append(
            "automation: stops acting on records"
            if now == "inactive"
            else "automation: starts acting on records"
        )
    return tuple(found)


def of_change(change: Change, live: LiveObject | None) -> tuple[str, ...]:
    """Deletes and replaces say their data impact already (`impact`); updates are where it hides."""
    return of_update(change.kind, change.attrs, live) if change.action is Action.UPDATE else ()
