"""Who must sign off a change: computed from both sides of the spec, and from a plan. Pure.

The base and the head are compiled to crmconf's neutral resources and compared address by address. A
change needs the owners it has on *either* side: removing a term needs the team that owned it, and a pull
request that drops a team from `owners` still needs that team. Owners are compared as well as
attributes, since most of them are not attributes (a field's owners change nothing in the CRM). Changes
to `teams` (who may approve) and to crmconf.yaml need the council (`policies.council`). A plan adds what
applying would change live, which a spec diff cannot show (a hand edit the apply would revert).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from crmconf import address as addr
from crmconf.engine.changes import Plan
from crmconf.engine.native import compile_spec
from crmconf.engine.resource import Resource, canonical
from crmconf.spec.diagnostics import Location
from crmconf.spec.model import Spec, TeamSpec
from crmconf.validation import Validated

PartyKind = Literal["team", "person"]


@dataclass(frozen=True)
class Reason:
    """One change that needs a party's sign-off."""

    address: str
    what: str  # "added", "removed", "changed: definition", "owners changed: sales -> revops", "plan: update"
    source: Location | None = None


@dataclass(frozen=True)
class Requirement:
    party: str  # a team name, or an automation owner's e-mail
    kind: PartyKind
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Signoff:
    base: str
    requirements: tuple[Requirement, ...]
    unowned: tuple[Reason, ...] = ()  # changes no team owns on either side
    notes: tuple[str, ...] = ()

    @property
    def parties(self) -> tuple[str, ...]:
        return tuple(r.party for r in self.requirements)


def party_kind(party: str) -> PartyKind:
    return "person" if "@" in party else "team"


@dataclass
class _Needs:
    by_party: dict[str, list[Reason]] = field(default_factory=dict)
    unowned: list[Reason] = field(default_factory=list)

    def add(self, parties: Iterable[str], reason: Reason) -> None:
        parties = list(dict.fromkeys(parties))
        if not parties:
            self.unowned.append(reason)
        for party in parties:
            self.by_party.setdefault(party, []).append(reason)


def compute(base: Validated | None, head: Validated, *, base_name: str, plan: Plan | None = None) -> Signoff:
    needs = _Needs()
    notes: list[str] = []
    council = head.spec.config.policies.council
    base_council = base.spec.config.policies.council if base is not None else None
    _resources(base, head, needs)
    _teams(base.spec if base else None, head.spec, needs, head, council, base_council)
    _config(base.spec if base else None, head, needs, council, base_council, notes)
    if plan is not None:
        for c in plan.changes:
            needs.add(c.owners, Reason(c.address, f"plan on {plan.target}: {c.action.value}", c.source))
    if needs.unowned and council is not None:
        for reason in needs.unowned:
            needs.add([council], reason)
        needs.unowned.clear()
    elif needs.unowned:
        notes.append(
            f"{len(needs.unowned)} change(s) have no owner on either side and no council is set "
            "(policies.council): nobody in particular must sign them off"
        )
    requirements = tuple(
        Requirement(party, party_kind(party), tuple(reasons))
        for party, reasons in sorted(needs.by_party.items(), key=lambda kv: (party_kind(kv[0]) != "team", kv[0]))
    )
    return Signoff(base_name, requirements, tuple(needs.unowned), tuple(notes))


def _resources(base: Validated | None, head: Validated, needs: _Needs) -> None:
    before = {r.address: r for r in compile_spec(base.spec, base.sources)} if base is not None else {}
    after = {r.address: r for r in compile_spec(head.spec, head.sources)}
    for address in [*after, *(a for a in before if a not in after)]:
        old, new = before.get(address), after.get(address)
        what = _what(old, new)
        if what is None:
            continue
        source = new.source if new is not None else old.source if old is not None else None
        owners = [*(old.owners if old else ()), *(new.owners if new else ())]
        needs.add(owners, Reason(address, what, source))


def _what(old: Resource | None, new: Resource | None) -> str | None:
    if old is None:
        return "added"
    if new is None:
        return "removed"
    owners_moved = set(old.owners) != set(new.owners)
    changed = [
        k
        for k in {**old.attrs, **new.attrs}
        if canonical(old.attrs.get(k)) != canonical(new.attrs.get(k)) and not (k == "owners" and owners_moved)
    ]
    parts = [f"changed: {', '.join(changed)}"] if changed else []
    if owners_moved:
        parts.append(f"owners changed: {', '.join(old.owners) or 'none'} -> {', '.join(new.owners) or 'none'}")
    return "; ".join(parts) or None


def _team_view(team: TeamSpec) -> str:
    return canonical(team.model_dump(mode="json"))


def _teams(
    base: Spec | None, head: Spec, needs: _Needs, ws: Validated, council: str | None, base_council: str | None
) -> None:
    """Who may approve is itself signed off: by the team whose members change, and by the council."""
    before = {t.name: t for t in base.teams} if base is not None else {}
    after = {t.name: t for t in head.teams}
    for name in [*after, *(n for n in before if n not in after)]:
        old, new = before.get(name), after.get(name)
        if old is not None and new is not None and _team_view(old) == _team_view(new):
            continue
        what = "added" if old is None else "removed" if new is None else "members changed"
        # A new team has no members in the base: only the council can vouch for it.
        parties = [*([name] if old is not None else []), *(c for c in (council, base_council) if c)]
        needs.add(parties, Reason(addr.join("team", name), what, ws.sources.locate(addr.join("team", name))))


def _config_view(spec: Spec) -> dict[str, Any]:
    return spec.config.model_dump(mode="json")


def _config(
    base: Spec | None,
    head: Validated,
    needs: _Needs,
    council: str | None,
    base_council: str | None,
    notes: list[str],
) -> None:
    after = _config_view(head.spec)
    before = _config_view(base) if base is not None else {}
    changed = sorted(_changed_keys(before, after))
    if not changed or base is None:
        return
    parties = [c for c in (council, base_council) if c]
    config = next((n for n in head.sources.files if n in ("crmconf.yaml", "crmconf.yml")), "crmconf.yaml")
    reason = Reason("crmconf.yaml", f"changed: {', '.join(changed)}", Location(config, 1, 1))
    if parties:
        needs.add(parties, reason)
    else:
        notes.append(
            f"crmconf.yaml changed ({', '.join(changed)}) and no council is set (policies.council): "
            "nobody in particular must sign it off"
        )


def _changed_keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Top-level settings that differ, one level deeper for targets and policies (`policies.prune`)."""
    out: list[str] = []
    for key in sorted({*before, *after}):
        old, new = before.get(key), after.get(key)
        if canonical(old) == canonical(new):
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            out.extend(
                f"{key}.{k}" for k in sorted({*old, *new}) if canonical(old.get(k)) != canonical(new.get(k))
            )
        else:
            out.append(key)
    return out
