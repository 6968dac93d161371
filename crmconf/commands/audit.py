"""`crmconf audit`: the quarterly automation audit. Exit 0 clean, 3 on a policy finding, 1 on errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from crmconf import files, redact
from crmconf.audit.compute import compute
from crmconf.audit.model import AuditReport
from crmconf.errors import UsageError
from crmconf.providers import Support, opened
from crmconf.render import audit_csv, audit_html, audit_json, audit_markdown, audit_text
from crmconf.ui import Console, safe
from crmconf.validation import require_valid

EXIT_FINDINGS = 3
FORMATS = ("text", "markdown", "csv", "json", "html")


def build(root: Path, *, target: str | None, offline: bool, as_of: date, today: date) -> AuditReport:
    ws = require_valid(root, today)
    if offline:
        return compute(ws.spec, as_of=as_of, sources=ws.sources)
    with opened(ws.spec, ws.sources, root, target) as (name, provider):
        if provider.capabilities.get("automations") is Support.UNSUPPORTED:
            raise UsageError(
                f"provider {provider.name} cannot read automations; audit with --offline instead"
            )
        snapshot = provider.fetch(frozenset({"automation"}))
        return compute(
            ws.spec, as_of=as_of, snapshot=snapshot, provider=provider.name, target=name, sources=ws.sources
        )


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
) -> int:
    if offline and target:
        raise UsageError("--offline audits the spec alone; it cannot be combined with --target")
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}")
    report = build(root, target=target, offline=offline, as_of=as_of or today, today=today)
    data = render(report, fmt, color=console.color and out is None and fmt == "text")
    if out is not None:
        files.write_bytes(out, redact.mask(data.decode("utf-8")).encode("utf-8"), root=root)
        console.err(f"wrote the audit to {out}")
    else:
        # As text, so any stdout works (a pipe, a file, a captured stream); the CSV keeps its BOM character.
        click.echo(safe(data.decode("utf-8"), color=console.color), nl=False, color=console.color)
    if report.failed:
        console.err(f"audit: {len(report.findings)} automation(s) need attention (exit {EXIT_FINDINGS})")
        return EXIT_FINDINGS
    return 0
