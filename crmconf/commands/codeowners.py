"""`crmconf codeowners [DIR]`: print, write or check the CODEOWNERS lines of a one-team-per-file workspace."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from crmconf import files
from crmconf.council import gitrev
from crmconf.council.codeowners import render
from crmconf.errors import UsageError
from crmconf.ui import Console
from crmconf.validation import require_valid


def run(
    root: Path, *, out: Path | None, check: Path | None, prefix: str | None, today: date, console: Console
) -> int:
    ws = require_valid(root, today)
    where = prefix if prefix is not None else gitrev.prefix_in_repository(root)
    if where is None:
        raise UsageError(f"{root} is not in a git repository: say where it sits in yours with --prefix PATH")
    result = render(ws.spec, ws.sources, where)
    problems = [
        f"{m.file} mixes the teams {', '.join(m.teams)}: CODEOWNERS would let any one of them approve for all"
        for m in result.mixed
    ] + [f"team {t} has no GitHub login, GitHub team or e-mail to name in CODEOWNERS" for t in result.unreachable]
    if problems:
        raise UsageError(
            "this workspace is not laid out one team per file:\n  " + "\n  ".join(problems)
            + "\nsplit those files by team, or rely on `crmconf signoff` (docs/ci.md), which handles any layout"
        )
    if check is not None:
        current = check.read_text(encoding="utf-8") if check.is_file() else ""
        if current != result.text:
            console.err(f"{check} is not what `crmconf codeowners` writes now; regenerate it with --out {check}")
            return 1
        console.err(f"{check} is current")
        return 0
    if out is not None:
        files.write_text(out, result.text)
        console.err(f"wrote {out}")
    else:
        console.out(result.text.rstrip("\n"))
    return 0
