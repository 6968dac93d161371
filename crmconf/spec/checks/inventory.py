"""Every automation is owned, explained and reviewed on schedule (the audit's offline half)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from crmconf import address as addr
from crmconf.spec.checks.context import CheckContext
from crmconf.spec.diagnostics import Diagnostic, error, warning
from crmconf.spec.model import Automation, Policies, parse_duration

EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def next_review(automation: Automation, policies: Policies) -> date | None:
    if automation.reviewed is None:
        return None
    every = automation.review_every or policies.automation_review_every
    return automation.reviewed + parse_duration(every)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    policies = ctx.spec.config.policies
    for automation in ctx.spec.automations:
        address = addr.automation(automation.name)
        if automation.owner is None:
            if policies.require_automation_owner:
                yield error(
                    "I501",
                    f"automation {automation.name} has no owner",
                    ctx.at(address),
                    hint="add `owner: <e-mail>`: every automation needs someone accountable",
                )
        elif not EMAIL.match(automation.owner):
            yield error(
                "I502", f"owner {automation.owner!r} is not an e-mail address", ctx.at(address, "owner")
            )
        if not automation.purpose:
            yield warning(
                "I505",
                f"automation {automation.name} states no purpose",
                ctx.at(address),
                hint="add `purpose:`, one sentence on why it exists",
            )
        yield from _review(ctx, automation, address)


def _review(ctx: CheckContext, automation: Automation, address: str) -> Iterator[Diagnostic]:
    if automation.reviewed is None:
        yield warning(
            "I504",
            f"automation {automation.name} has never been reviewed",
            ctx.at(address),
            hint=f"review it, then `crmconf review {automation.name} --by <e-mail>`",
        )
        return
    if automation.reviewed > ctx.today:
        yield error(
            "I503",
            f"reviewed date {automation.reviewed} is in the future",
            ctx.at(address, "reviewed"),
            hint=f"today is {ctx.today}",
        )
        return
    due = next_review(automation, ctx.spec.config.policies)
    if due is not None and due < ctx.today:
        yield warning(
            "I504",
            f"automation {automation.name} was due for review on {due} ({(ctx.today - due).days} days ago)",
            ctx.at(address, "reviewed"),
            hint=f"review it, then `crmconf review {automation.name} --by <e-mail>`",
        )
