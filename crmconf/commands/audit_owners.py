"""`crmconf audit --by-owner`: one report per owner, and (`--github-issues`) one GitHub issue per owner.

Each owner gets the rows they answer for; orphans and automations with no owner go to `unowned`. With
`--github-issues`, an owner with findings gets an open issue (created, or its body replaced), found again
by a hidden marker naming the owner; an owner whose findings are all resolved has their issue closed.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from crmconf import files, redact
from crmconf.audit.model import AuditReport
from crmconf.council.github import GitHubClient, Settings
from crmconf.render import audit_markdown
from crmconf.spec.model import Spec
from crmconf.ui import Console

UNOWNED = "unowned"
LABEL = "crmconf-audit"
BODY_LIMIT = 65_536
EXTENSIONS = {"text": "txt", "markdown": "md", "csv": "csv", "json": "json", "html": "html"}


def by_owner(report: AuditReport) -> dict[str, AuditReport]:
    """Owner (lower-case e-mail, or `unowned`) -> the report of their rows, owners sorted."""
    owners = sorted({(r.owner or UNOWNED).lower() for r in report.rows})
    return {o: replace(report, rows=tuple(r for r in report.rows if (r.owner or UNOWNED).lower() == o)) for o in owners}


def file_name(owner: str, fmt: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@-]", "_", owner) + "." + EXTENSIONS[fmt]


def write_reports(parts: dict[str, bytes], out: Path, root: Path, console: Console) -> None:
    folder = files.make_dir(out, root=root)
    for name, data in parts.items():
        files.write_bytes(folder / name, redact.mask(data.decode("utf-8")).encode("utf-8"), root=root)
    console.err(f"wrote {len(parts)} report(s), one per owner, to {out}")


def marker(owner: str) -> str:
    return f"<!-- crmconf-audit owner={owner} -->"


def issue_body(owner: str, report: AuditReport, spec: Spec) -> str:
    login = next((m.github for t in spec.teams for m in t.members if m.email and m.github and m.email.lower() == owner), None)
    who = f"@{login}" if login else owner
    head = f"{marker(owner)}\nAutomations {who} answers for, as the audit sees them. Review each one, then record it with `crmconf review NAME --by {owner if owner != UNOWNED else '<e-mail>'} --decision keep|change|retire`.\n\n"
    body = head + audit_markdown.render(report)
    if len(body) > BODY_LIMIT:
        note = "\n\n*Cut to fit GitHub's issue limit; run `crmconf audit --by-owner` for the whole report.*\n"
        body = body[: BODY_LIMIT - len(note)] + note
    return redact.mask(body)


def sync_issues(reports: dict[str, AuditReport], spec: Spec, repository: str | None, console: Console) -> None:
    client = GitHubClient(Settings.from_environment(repository))
    try:
        existing = {m.group(1): issue for issue in client.open_issues(LABEL)
                    if (m := re.search(r"<!-- crmconf-audit owner=(\S+) -->", issue.body))}
        for owner, report in reports.items():
            open_issue = existing.get(owner)
            body = issue_body(owner, report, spec)
            if report.failed and open_issue is None:
                number = client.create_issue(f"crmconf audit: {owner}", body, LABEL)
                console.err(f"opened issue #{number} for {owner}")
            elif report.failed and open_issue is not None:
                client.update_issue(open_issue.number, body=body)
                console.err(f"updated issue #{open_issue.number} for {owner}")
            elif open_issue is not None:
                client.update_issue(open_issue.number, body=body, state="closed")
                console.err(f"closed issue #{open_issue.number} for {owner}: nothing needs attention")
    finally:
        client.close()
