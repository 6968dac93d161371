"""`crmconf status`: which spec (commit) runs on which target, in promotion order, read from each target."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from crmconf.errors import CrmconfError
from crmconf.promotion import releases
from crmconf.promotion.hooks import commit_of
from crmconf.promotion.store import store_of
from crmconf.providers import opened
from crmconf.render.table import grid
from crmconf.ui import Console
from crmconf.validation import Validated, require_valid

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Row:
    target: str
    position: int | None  # place in the promotion order (1-based), None when outside it
    last: releases.Release | None
    current: bool  # the last verified release is the workspace as it is now
    error: str = ""


def _row(ws: Validated, root: Path, target: str) -> Row:
    order = ws.spec.config.promotion
    position = order.index(target) + 1 if target in order else None
    try:
        with opened(ws.spec, ws.sources, root, target) as (_, provider):
            log = releases.read(store_of(provider, root, target))
    except CrmconfError as exc:
        return Row(target, position, None, False, str(exc))
    last = log[-1] if log else None
    return Row(target, position, last, last is not None and last.verified and last.spec_digest == ws.digest)


def _text(rows: list[Row], ws: Validated, commit: str) -> str:
    lines = [f"workspace: spec {ws.digest[:12]}" + (f" at commit {commit[:12]}" if commit else ""), ""]
    header = ("target", "order", "commit", "spec", "applied", "by", "verified", "current")
    table = [header]
    for r in rows:
        order = str(r.position) if r.position else "-"
        if r.error:
            table.append((r.target, order, "?", "?", f"unreadable: {r.error}", "", "", ""))
        elif r.last is None:
            table.append((r.target, order, "-", "-", "never applied by crmconf", "", "", "no"))
        else:
            table.append((r.target, order, r.last.commit[:12] or "-", r.last.spec_digest[:12], r.last.applied_at,
                           r.last.applied_by, "yes" if r.last.verified else "NO", "yes" if r.current else "no"))
    lines += grid(table)
    return "\n".join(lines)


def _json(rows: list[Row], ws: Validated, commit: str) -> str:
    def last(r: Row) -> dict[str, object] | None:
        if r.last is None:
            return None
        return {"commit": r.last.commit, "spec_digest": r.last.spec_digest, "applied_at": r.last.applied_at,
                "applied_by": r.last.applied_by, "verified": r.last.verified, "changes": r.last.changes}

    return json.dumps({
        "format_version": FORMAT_VERSION, "spec_digest": ws.digest, "commit": commit,
        "promotion": list(ws.spec.config.promotion),
        "targets": [{"target": r.target, "position": r.position, "last": last(r), "current": r.current,
                     "error": r.error or None} for r in rows],
    }, indent=2)


def run(root: Path, *, targets: tuple[str, ...], fmt: str, today: date, console: Console) -> int:
    ws = require_valid(root, today)
    order = ws.spec.config.promotion
    names = list(targets) or [*order, *sorted(t for t in ws.spec.config.targets if t not in order)]
    rows = [_row(ws, root, name) for name in names]
    commit = commit_of(root)
    console.out(_json(rows, ws, commit) if fmt == "json" else _text(rows, ws, commit))
    return 0
