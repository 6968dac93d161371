"""`crmconf audit`: the quarterly automation audit. Exit 0 clean, 3 on a policy finding, 1 on errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import click

from crmconf import files, redact
from crmconf.audit.compute import compute, spec_automations
from crmconf.audit.model import AuditReport
from crmconf.audit.runs import Window, counted
from crmconf.commands import audit_owners
from crmconf.errors import CrmconfError, UsageError
from crmconf.promotion import releases
from crmconf.promotion.store import store_of
from crmconf.providers import Support, opened
from crmconf.render import audit_csv, audit_html, audit_json, audit_markdown, audit_text
from crmconf.spec.model import Spec, parse_duration
from crmconf.ui import Console, safe
from crmconf.validation import Validated, require_valid

EXIT_FINDINGS = 3
FORMATS = ("text", "markdown", "csv", "json", "html")


def build(root: Path, *, target: str | None, offline: bool, as_of: date, today: date) -> AuditReport:
    return build_with_spec(root, target=target, offline=offline, as_of=as_of, today=today)[0]


def build_with_spec(
    root: Path, *, target: str | None, offline: bool, as_of: date, today: date
) -> tuple[AuditReport, Spec]:
    ws = require_valid(root, today)
    return _report(ws, root, target=target, offline=offline, as_of=as_of), ws.spec


def _report(ws: Validated, root: Path, *, target: str | None, offline: bool, as_of: date) -> AuditReport:
    if offline:
        return compute(ws.spec, as_of=as_of, sources=ws.sources)
    with opened(ws.spec, ws.sources, root, target) as (name, provider):
        if provider.capabilities.get("automations") is Support.UNSUPPORTED:
            raise UsageError(
                f"provider {provider.name} cannot read automations; audit with --offline instead"
            )
        snapshot = provider.fetch(frozenset({"automation"}))
        # Runs over the review interval: what an automation did since it was last due for review.
        window = Window.ending(as_of, parse_duration(ws.spec.config.policies.automation_review_every))
        runs = counted(provider, spec_automations(ws.spec, snapshot, provider.name), window)
        return compute(
            ws.spec, as_of=as_of, snapshot=snapshot, provider=provider.name, target=name, sources=ws.sources,
            runs=runs, runs_days=window.days,
            # Only where the automations cannot say crmconf wrote them (docs/provider-contract.md, Automations).
            verified_until=last_verified_apply(provider, root, name) if getattr(provider, "writes_unmarked", False)
            else None,
        )


def last_verified_apply(provider: object, root: Path, target: str) -> datetime | None:
    """When crmconf's latest verified apply to the target ended, from the release log in the target's state
    store (crmconf.promotion.releases); None when there is none or it cannot be read (then nothing is excused)."""
    try:
        log = releases.read(store_of(provider, root, target))
    except CrmconfError:
        return None
    times = []
    for r in log:
        try:
            at = datetime.fromisoformat(r.applied_at) if r.verified else None
        except ValueError:
            at = None
        if at is not None:
            times.append(at if at.tzinfo else at.replace(tzinfo=UTC))
    return max(times, default=None)


def render(report: AuditReport, fmt: str, *, color: bool) -> bytes:
    """The report in one format, as the exact bytes to write (CSV carries its BOM)."""
    if fmt == "csv":
        return audit_csv.encode(report)
    text = {
        "text": lambda: audit_text.render(report, color=color),
        "markdown": lambda: audit_markdown.render(report),
        "json": lambda: audit_json.render(report),
        "html": lambda: audit_html.render(report),
    }[fmt]()
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def run(
    root: Path,
    *,
    target: str | None,
    offline: bool,
    as_of: date | None,
    fmt: str,
    out: Path | None,
    today: date,
    console: Console,
    by_owner: bool = False,
    github_issues: bool = False,
    repository: str | None = None,
) -> int:
    if offline and target:
        raise UsageError("--offline audits the spec alone; it cannot be combined with --target")
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}")
    if github_issues and not by_owner:
        raise UsageError("--github-issues opens one issue per owner: add --by-owner")
    if by_owner and out is None and not github_issues:
        raise UsageError("--by-owner writes one report per owner: say where with --out FOLDER")
    report, spec = build_with_spec(root, target=target, offline=offline, as_of=as_of or today, today=today)
    if by_owner:
        reports = audit_owners.by_owner(report)
        if out is not None:
            parts = {audit_owners.file_name(o, fmt): render(r, fmt, color=False) for o, r in reports.items()}
            audit_owners.write_reports(parts, out, root, console)
        if github_issues:
            audit_owners.sync_issues(reports, spec, repository, console)
        return _exit(report, console)
    data = render(report, fmt, color=console.color and out is None and fmt == "text")
    if out is not None:
        files.write_bytes(out, redact.mask(data.decode("utf-8")).encode("utf-8"), root=root)
        console.err(f"wrote the audit to {out}")
    else:
        # As text, so any stdout works (a pipe, a file, a captured stream); the CSV keeps its BOM character.
        click.echo(safe(data.decode("utf-8"), color=console.color), nl=False, color=console.color)
    return _exit(report, console)


def _exit(report: AuditReport, console: Console) -> int:
    if report.failed:
        console.err(f"audit: {len(report.findings)} automation(s) need attention (exit {EXIT_FINDINGS})")
        return EXIT_FINDINGS
    return 0
