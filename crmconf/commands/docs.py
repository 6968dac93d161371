"""`crmconf docs DIR --out OUT`: the CRM handbook as Markdown (Mermaid) and a self-contained HTML page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from crmconf import files
from crmconf.docs.build import build
from crmconf.errors import UsageError
from crmconf.render import docs_html, docs_markdown
from crmconf.ui import Console
from crmconf.validation import require_valid

MARKDOWN = "crm-handbook.md"
HTML = "crm-handbook.html"


def run(root: Path, *, out: Path, today: date, console: Console) -> int:
    ws = require_valid(root, today)
    book = build(ws.spec, today)
    pages = {MARKDOWN: docs_markdown.render(book), HTML: docs_html.render(book)}
    try:
        files.make_dir(out, root=root)
        for name, text in pages.items():
            files.write_text(out / name, text, root=root)
    except UsageError as exc:
        raise UsageError(f"cannot write the handbook: {exc}") from exc
    for name in pages:
        console.out(str(out / name))
    console.err(
        f"wrote the handbook: {len(book.terms)} term(s), {len(book.processes)} process map(s), "
        f"{len(book.automations)} automation(s)"
    )
    return 0
