"""The health history: one line per run in `health/<target>.jsonl`, a small file kept in git.

Why a file in git, not the local store (`.crmconf/`, never committed) nor the target's own state store:
- escalation needs the history to outlive the machine that measured: a CI runner starts empty every
  time, and `.crmconf/` is on one machine only;
- a health job should only read the CRM: keeping the history in the target (the managed record's
  place) would need write access to production for a report;
- in git it is reviewed, diffed and kept with the spec it measured, and a scheduled job commits it
  (docs/ci.md). It stays small: per run, each KPI's figure and its pipeline, stage, team, object, field
  and key figures, never owners (people are named in the report, not kept) nor any record.
Append-only JSON Lines merge cleanly (`health/*.jsonl merge=union` in .gitattributes keeps both sides).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from crmconf import files
from crmconf.health.model import Cell, HealthReport, Status

FOLDER = "health"
FORMAT = 1
KEPT_SCOPES = frozenset({"all", "pipeline", "stage", "team", "object", "field", "key"})
_STATUSES: frozenset[str] = frozenset({"ok", "below", "unmeasured", "empty"})


@dataclass(frozen=True)
class Past:
    """One KPI cell in one past run."""

    value: float | None
    status: Status


@dataclass(frozen=True)
class Run:
    at: datetime
    kpis: dict[str, dict[str, Past]]  # KPI -> cell key ("all:", "stage:new_business.discovery") -> figure


def path(root: Path, target: str) -> Path:
    return root / FOLDER / f"{target}.jsonl"


def shown(root: Path, target: str) -> str:
    return path(root, target).relative_to(root).as_posix()


def read(root: Path, target: str) -> tuple[list[Run], int]:
    """The runs so far, oldest first, and how many lines could not be read (skipped, never fatal)."""
    where = files.guard(path(root, target), root)  # never read (nor later append) through a link leading out
    if not where.is_file():
        return [], 0
    runs: list[Run] = []
    bad = 0
    with where.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip():
                continue
            run = _parse(line)
            if run is None:
                bad += 1
            else:
                runs.append(run)
    runs.sort(key=lambda r: r.at)
    return runs, bad


def _parse(line: str) -> Run | None:
    try:
        data = json.loads(line)
        at = datetime.fromisoformat(str(data["at"]))
        kpis: dict[str, dict[str, Past]] = {}
        for name, cells in dict(data["kpis"]).items():
            kpis[str(name)] = {str(key): _past(raw) for key, raw in dict(cells).items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if at.tzinfo is None:
        return None
    return Run(at, kpis)


def _past(raw: Any) -> Past:
    value, status = raw
    if status not in _STATUSES or not (value is None or isinstance(value, int | float)):
        raise ValueError("not a figure")
    return Past(None if value is None else float(value), cast(Status, status))


def _figure(c: Cell) -> list[Any]:
    return [c.value, c.status]


def entry(report: HealthReport, digest: str) -> dict[str, Any]:
    kpis = {
        k.name: {c.key: _figure(c) for c in (k.overall, *k.cells) if c.scope in KEPT_SCOPES}
        for k in report.kpis
    }
    return {"v": FORMAT, "at": report.at.isoformat(timespec="seconds"), "target": report.target,
            "provider": report.provider, "spec": digest[:16], "kpis": kpis}


def append(root: Path, report: HealthReport, digest: str) -> Path:
    where = path(root, report.target)
    files.make_dir(where.parent, root=root)
    files.append_line(where, json.dumps(entry(report, digest), sort_keys=True, separators=(",", ":")), root=root)
    return where
