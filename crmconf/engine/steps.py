"""Manual steps as tracked obligations: each has a stable id and is open until shown done.

A step is done when crmconf can read the result in the CRM (its `check`), or, where the vendor gives no
way to read it, when a person recorded it with `crmconf done STEP --by EMAIL` (a `manual_steps` entry in
the workspace, so git keeps who and when). A record holds only for the instructions it confirmed: when
the spec changes what the step asks, the step opens again. A check that reads the opposite of a
person's record wins: the CRM is the truth.

Checks are data, so plans can be saved and evaluated without vendor code:
- `{"live": ADDRESS, "attrs": {...}}`: that object exists live with those attributes (verifies or refutes);
- `{"kind": KIND, "label": LABEL, "attrs": {...}}`: a live object of that kind with that label exists;
- `{"role": LABEL, "name": NAME}`: the vendor lists a role by that label or name. A role's grants cannot
  be read, so its presence proves nothing; its absence proves the step is not done.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from crmconf import address as addr
from crmconf.engine.resource import JSON, LiveObject, ManualStep, Snapshot, canonical
from crmconf.spec.model import StepRecord


class Status(StrEnum):
    OPEN = "open"
    VERIFIED = "verified"  # crmconf read the result in the CRM
    DONE = "done"  # a person recorded it done, for these instructions


@dataclass(frozen=True)
class StepState:
    id: str
    status: Status
    detail: str = ""


def evaluate(
    steps: Iterable[ManualStep], records: Iterable[StepRecord], target: str, snapshot: Snapshot
) -> tuple[StepState, ...]:
    done = {r.step: r for r in records if r.target == target}
    return tuple(_state(s, done.get(s.id), snapshot) for s in steps)


def _state(step: ManualStep, record: StepRecord | None, snapshot: Snapshot) -> StepState:
    verdict, why = check(step.check, snapshot) if step.check else (None, "")
    if verdict is True:
        return StepState(step.id, Status.VERIFIED, why)
    said = f"recorded done by {record.done_by} on {record.done_on}" if record else ""
    if verdict is False:
        return StepState(
            step.id, Status.OPEN, f"{why} ({said}, but the CRM shows otherwise)" if said else why
        )
    if record is None:
        return StepState(
            step.id, Status.OPEN, "crmconf cannot read this in the CRM: run `crmconf done` when it is done"
        )
    if record.digest != step.digest:
        return StepState(
            step.id, Status.OPEN, f"{said} for earlier instructions; what it asks has changed since"
        )
    return StepState(step.id, Status.DONE, said)


def check(spec: Mapping[str, JSON], snapshot: Snapshot) -> tuple[bool | None, str]:
    """True: read and done; False: read and not done; None: the CRM cannot tell."""
    if "live" in spec:
        live = snapshot.get(str(spec["live"]))
        if live is None:
            return False, f"{spec['live']} does not exist in the CRM yet"
        return _attrs(live, spec.get("attrs") or {}, str(spec["live"]))
    if "label" in spec:
        kind, label = spec.get("kind"), str(spec["label"])
        found = [
            o for o in snapshot.objects.values() if o.label == label and (kind is None or o.kind == kind)
        ]
        if not found:
            return False, f"no {kind or 'object'} labelled {label!r} exists in the CRM yet"
        verdicts = [_attrs(o, spec.get("attrs") or {}, o.address) for o in found]
        return next((v for v in verdicts if v[0]), verdicts[0])
    if "role" in spec:
        roles = snapshot.facts.get("roles")
        if not isinstance(roles, list | tuple):
            return None, ""
        known = {str(r).casefold() for r in roles}
        names = {str(spec["role"]).casefold(), str(spec.get("name", "")).casefold()} - {""}
        if not names & known:
            return False, f"no role named {spec['role']!r} exists in the CRM yet"
        return None, ""
    return None, ""


def _attrs(live: LiveObject, wanted: Mapping[str, JSON], where: str) -> tuple[bool, str]:
    differ = sorted(k for k, v in wanted.items() if canonical(live.attrs.get(k)) != canonical(v))
    if differ:
        return False, f"{where} exists but its {', '.join(differ)} differ from the spec"
    return True, f"crmconf read {where} in the CRM"


def open_count(states: Iterable[StepState]) -> int:
    return sum(s.status is Status.OPEN for s in states)


def check_kinds(steps: Iterable[ManualStep]) -> frozenset[str]:
    """The kinds a plan must read so the steps' checks can see their objects."""
    kinds: set[str] = set()
    for s in steps:
        if s.check and "live" in s.check:
            where = str(s.check["live"])
            kinds.add("stage" if addr.stage_of(where) else addr.kind_of(where))
        elif s.check and s.check.get("kind"):
            kinds.add(str(s.check["kind"]))
    return frozenset(kinds)
