"""Checks beyond the schema: pure functions from a merged Spec to located diagnostics."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from crmconf.spec.checks import health, inventory, pipelines, promotion, references, teams, terminology, text
from crmconf.spec.checks.context import CheckContext
from crmconf.spec.diagnostics import Diagnostic
from crmconf.spec.model import Spec
from crmconf.spec.workspace import Sources

Check = Callable[[CheckContext], Iterable[Diagnostic]]
CHECKS: tuple[Check, ...] = (
    references.check,
    pipelines.check,
    terminology.check,
    inventory.check,
    text.check,
    teams.check,
    promotion.check,
    health.check,
)


def run_checks(spec: Spec, sources: Sources, today: date) -> list[Diagnostic]:
    ctx = CheckContext(spec, sources, today)
    return [d for check in CHECKS for d in check(ctx)]
