"""What a plan knows beyond the diff: which objects crmconf owns, which it leaves alone, and clashes.

- *Owned*: every address the spec compiles to, except bound automations: binding inventories a
  workflow someone else built, so removing the binding stops tracking it and never deletes it.
- *Accepted*: live objects the workspace's `unmanaged:` list names (an address or a pattern), for this
  target. An accepted object crmconf manages and the spec dropped is forgotten, not deleted.
- Two spec items that compile to one address would silently become one object: a located error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from crmconf import address as addr
from crmconf.engine.native import automation_address
from crmconf.engine.resource import Resource, Snapshot
from crmconf.spec.diagnostics import Diagnostic, Location, error, warning
from crmconf.spec.model import Spec, UnmanagedRule
from crmconf.spec.workspace import Sources

CONFIG_FILES = ("crmconf.yaml", "crmconf.yml")


def owned(spec: Spec, provider: str, resources: Iterable[Resource]) -> dict[str, str]:
    """address -> kind of what crmconf owns on this target."""
    bound = {automation_address(a, provider) for a in spec.automations if a.binds is not None}
    return {r.address: r.kind for r in resources if r.address not in bound}


@dataclass(frozen=True)
class Rule:
    index: int  # position in crmconf.yaml's `unmanaged:` list, for locating it
    rule: UnmanagedRule


def rules_for(spec: Spec, target: str) -> tuple[Rule, ...]:
    return tuple(
        Rule(i, r) for i, r in enumerate(spec.config.unmanaged) if not r.targets or target in r.targets
    )


def accepted(rules: tuple[Rule, ...], addresses: Iterable[str], desired: set[str]) -> dict[str, str]:
    """address -> the rule (as written) that accepts it; declared objects are never 'accepted'."""
    found: dict[str, str] = {}
    for a in addresses:
        if a in desired:
            continue
        hit = next((r.rule.address for r in rules if addr.matches(a, r.rule.address)), None)
        if hit is not None:
            found[a] = hit
    return found


def _config_location(sources: Sources, *path: str | int) -> Location | None:
    source = next((s for n, s in sources.files.items() if n in CONFIG_FILES), None)
    return source.locate(tuple(path)) if source else None


def rule_problems(
    rules: tuple[Rule, ...], desired: Mapping[str, Resource], snapshot: Snapshot, sources: Sources
) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for r in rules:
        written = r.rule.address
        if addr.is_pattern(written):
            continue
        where = _config_location(sources, "unmanaged", r.index)
        declared = desired.get(written)
        if declared is not None:
            found.append(
                error(
                    "P206",
                    f"{written} is listed under `unmanaged` but the spec declares it"
                    + (f" at {declared.source}" if declared.source else ""),
                    where,
                    hint="to stop managing it, remove it from the spec; to keep managing it, remove this entry",
                    related=(declared.source,) if declared.source else (),
                )
            )
        elif written not in snapshot.objects and _kind_read(written, snapshot):
            found.append(
                warning(
                    "P207",
                    f"`unmanaged` lists {written}, which does not exist in the live CRM",
                    where,
                    hint="remove the entry if the object is gone for good",
                )
            )
    return found


def _kind_read(address: str, snapshot: Snapshot) -> bool:
    try:
        kind = "stage" if addr.stage_of(address) else addr.kind_of(address)
    except addr.AddressError:
        return False
    return not snapshot.kinds or kind in snapshot.kinds


def duplicates(resources: Iterable[Resource]) -> list[Diagnostic]:
    """Two spec items compiling to one address (two terms that normalise alike, a compiled automation
    and a binding of the same name): the plan would merge them silently, so it refuses."""
    first: dict[str, Resource] = {}
    found: list[Diagnostic] = []
    for r in resources:
        seen = first.setdefault(r.address, r)
        if seen is r:
            continue
        found.append(
            error(
                "P205",
                f"two spec items compile to the same address {r.address}"
                + (f" (the other is at {seen.source})" if seen.source else ""),
                r.source,
                hint="rename one of them so each item has its own address",
                related=(seen.source,) if seen.source else (),
            )
        )
    return found
