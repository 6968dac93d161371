"""`crmconf validate [DIR]`: exit 0 when the workspace is valid, 1 when it is not."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from crmconf.render import diagnostics as render
from crmconf.spec.diagnostics import Diagnostic
from crmconf.spec.workspace import Sources
from crmconf.ui import Console
from crmconf.validation import validate


def run(root: Path, *, fmt: str, strict: bool, today: date, console: Console) -> int:
    result, diagnostics, sources = validate(root, today)
    failed = result is None or (strict and bool(diagnostics))
    if fmt == "json":
        console.out(render.as_json(diagnostics, valid=not failed))
    elif fmt == "github":
        if diagnostics:
            console.out(render.github(diagnostics, prefix=str(root)))
        console.err(render.summary(diagnostics, strict))
    else:
        if diagnostics:
            console.out(render.text(diagnostics, line_getter(sources), color=console.color))
        console.out(f"{root}: {render.summary(diagnostics, strict)}")
    return 1 if failed else 0


def line_getter(sources: Sources) -> render.LineOf:
    def line_of(d: Diagnostic) -> str:
        return sources.line(d.location) if d.location else ""

    return line_of
