"""`crmconf health`: measure whether the rollout works, from the spec and the live records.

The spec says what healthy is (required fields per stage, the stale rule, picklists, dedup keys, the
`health` section's targets); the target's provider counts records with aggregate reads (its optional
`measure`); pure functions compute each KPI; the run joins the history in `health/<target>.jsonl` for
trends and escalation. Exit 0, or 5 when a KPI escalates (or, with --fail-on below, is below target).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import click

from crmconf import files, redact
from crmconf.errors import UsageError
from crmconf.health import compute, history, trends
from crmconf.health.model import HealthReport
from crmconf.health.query import Measured, Query
from crmconf.providers import opened
from crmconf.render import health_html, health_json, health_markdown, health_text, progress
from crmconf.ui import Console, safe
from crmconf.validation import require_valid

EXIT_FAILED = 5
FORMATS = ("text", "json", "markdown", "html")
FAIL_ON = ("escalated", "below", "never")


def build(root: Path, *, target: str | None, now: datetime, today: date) -> tuple[HealthReport, str]:
    """Measure and compute this run (without the history); also returns the spec's digest."""
    ws = require_valid(root, today)
    queries = compute.plan(ws.spec, now)
    with opened(ws.spec, ws.sources, root, target) as (name, provider):
        measure = getattr(provider, "measure", None)
        if measure is None:
            raise UsageError(f"provider {provider.name} cannot measure health (it has no `measure`; see "
                             "docs/provider-contract.md)")
        provider.compile(ws.spec, ws.sources)  # providers map spec names to the vendor's from the compiled spec
        measured = cast(Measured, measure(cast(Sequence[Query], queries)))
        report = compute.compute(ws.spec, measured, now=now, target=name, provider=provider.name)
    return report, ws.digest


def render(report: HealthReport, fmt: str, *, color: bool, everything: bool) -> str:
    renderers: dict[str, Any] = {
        "text": lambda: health_text.render(report, color=color, everything=everything),
        "json": lambda: health_json.render(report),
        "markdown": lambda: health_markdown.render(report),
        "html": lambda: health_html.render(report),
    }
    text = str(renderers[fmt]())
    return text if text.endswith("\n") else text + "\n"


def run(root: Path, *, target: str | None, fmt: str, out: Path | None, record: bool, fail_on: str,
        everything: bool, now: datetime, today: date, console: Console) -> int:
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}")
    if fail_on not in FAIL_ON:
        raise UsageError(f"unknown --fail-on {fail_on!r}; one of: {', '.join(FAIL_ON)}")
    with progress.reading(console, f"Counting records on {target or 'the default target'}"):
        report, digest = build(root, target=target, now=now, today=today)
    runs, unreadable = history.read(root, report.target)
    report = trends.attach(report, runs)
    if unreadable:
        console.err(f"warning: {unreadable} line(s) of {history.shown(root, report.target)} could not be read; "
                    "they were left out of the trends")
    if record:
        where = history.append(root, report, digest)
        report = _recorded(report, history.shown(root, report.target))
        console.err(f"health: this run was added to {where.relative_to(root).as_posix()} (commit it to keep the trend)")
    text = render(report, fmt, color=console.color and out is None and fmt == "text", everything=everything)
    if out is not None:
        files.write_text(out, redact.mask(text), root=root)
        console.err(f"wrote the health report to {out}")
    else:
        click.echo(safe(text, color=console.color), nl=False, color=console.color)
    return _exit(report, fail_on, console)


def _recorded(report: HealthReport, where: str) -> HealthReport:
    return replace(report, history=where)


def _exit(report: HealthReport, fail_on: str, console: Console) -> int:
    failing = {"escalated": report.escalated, "below": report.below, "never": ()}[fail_on]
    if not failing:
        return 0
    names = ", ".join(k.name for k in failing)
    console.err(f"health: {len(failing)} KPI(s) {'escalate' if fail_on == 'escalated' else 'below target'}: "
                f"{names} (exit {EXIT_FAILED})")
    return EXIT_FAILED
