"""Checks of the live side that need no vendor knowledge: the glossary, automation owners, roles."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from crmconf import address as addr
from crmconf.engine.resource import Snapshot
from crmconf.spec.checks.terminology import Glossary
from crmconf.spec.diagnostics import Diagnostic, error, warning
from crmconf.spec.model import Spec
from crmconf.spec.workspace import Sources


def live_labels(snapshot: Snapshot, skip: set[str]) -> Iterator[tuple[str, str]]:
    for address, obj in sorted(snapshot.objects.items()):
        if address in skip:
            continue
        if obj.label:
            yield address, obj.label
        for option in obj.attrs.get("options") or ():
            if isinstance(option, Mapping) and option.get("label"):
                yield f"{address} option {option.get('value')!r}", str(option["label"])


def check(spec: Spec, sources: Sources, snapshot: Snapshot, desired: set[str]) -> list[Diagnostic]:
    """Lint labels the plan will not overwrite; require every automation owner to be an active user."""
    found: list[Diagnostic] = []
    glossary = Glossary(spec.terminology)
    for where, label in live_labels(snapshot, desired):
        for v in glossary.scan(label):
            found.append(
                warning(
                    "T402",
                    f"live {where} is labelled {label!r}, which uses {v.word!r}, a word the glossary avoids",
                    None,
                    hint=f"say {v.preferred!r}; bring it under a spec or relabel it in the CRM",
                )
            )
    users = snapshot.facts.get("users")
    if isinstance(users, Mapping):
        for a in spec.automations:
            if a.owner and not users.get(a.owner.lower(), False):
                state = "is deactivated" if a.owner.lower() in users else "is not a user"
                found.append(
                    error(
                        "P301",
                        f"automation {a.name}: owner {a.owner} {state} in the live CRM",
                        sources.locate(addr.automation(a.name), "owner"),
                        hint="hand the automation to an active user and update `owner`",
                    )
                )
    found.extend(_missing_roles(spec, sources, snapshot))
    return found


def _missing_roles(spec: Spec, sources: Sources, snapshot: Snapshot) -> Iterator[Diagnostic]:
    """Where permission sets are set up by hand (a manual step), say which ones do not exist yet.

    A provider that can list its CRM's roles but not define them puts their names in facts["roles"];
    a permission set matches a role by label or by name, ignoring case."""
    roles = snapshot.facts.get("roles")
    if not isinstance(roles, list | tuple):
        return
    known = {str(r).casefold() for r in roles}
    for p in spec.permissions:
        if p.label.casefold() not in known and p.name.casefold() not in known:
            yield warning(
                "P302",
                f"permission set {p.name}: no role named {p.label!r} exists in the live CRM",
                sources.locate(addr.permission(p.name)),
                hint="create it by hand (see the manual step), or match `label` to the role's name",
            )
