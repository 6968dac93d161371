"""Pilots where the vendor allows them: a provider that cannot scope a change to some people says so.

A provider declares `pilots = True` when it can make an automation reach only the pilot's users (the
local org stores the audience; Salesforce could through a permission set assigned to them, HubSpot
through team-scoped access where its API offers it). Anywhere else a pilot would silently reach everyone,
so the plan carries error P501 and nothing is applied.
"""

from __future__ import annotations

from collections.abc import Iterator

from crmconf import address as addr
from crmconf.spec.diagnostics import Diagnostic, error
from crmconf.spec.model import Spec
from crmconf.spec.workspace import Sources


def unsupported(spec: Spec, sources: Sources, provider: object) -> Iterator[Diagnostic]:
    if getattr(provider, "pilots", False):
        return
    name = getattr(provider, "name", "?")
    for a in spec.automations:
        if a.pilot is not None:
            yield error(
                "P501",
                f"automation {a.name} is a pilot, and provider {name} cannot make it reach only the pilot's people",
                sources.locate(addr.automation(a.name), "pilot"),
                hint="pilot it on a target whose provider can (crmconf providers), or remove `pilot:` to reach everyone",
            )
