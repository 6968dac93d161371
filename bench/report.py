"""Tables of figures: built once, printed and written to BENCHMARKS.md from the same text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.measure import ApplyRuns


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # markdown paragraphs written under the table

    def add(self, *cells: object) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.title}: {len(cells)} cells for {len(self.columns)} columns")
        self.rows.append([str(c) for c in cells])

    def markdown(self) -> str:
        lines = [f"## {self.title}", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "|".join("---" for _ in self.columns) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.notes:
            lines.append("")
            lines += self.notes
        return "\n".join(lines) + "\n"


def seconds(value: float) -> str:
    return f"{value:.2f} s"


def megabytes(value: float) -> str:
    return f"{value:.0f} MB"


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def pct_over(requests: int, minimum: int) -> str:
    return f"{100 * (requests - minimum) / minimum:+.0f}%" if minimum else "n/a"


def times_fewer(baseline: int, requests: int) -> str:
    return f"{baseline / requests:.0f}x" if requests else "n/a"


def apply_rows(table: Table, label: str, expected: int, runs: Mapping[float, ApplyRuns],
               naive: Mapping[float, tuple[float, int]], minimum: tuple[int, int] | tuple[int, int, int],
               heap_mb: float) -> None:
    """The apply rows of a vendor table: each latency's apply, its verifying re-read and the managed
    record's write, then the one-call-per-change writer; `minimum` is (apply calls, verify requests[,
    record requests])."""
    apply_min, verify_min = minimum[0], minimum[1]
    record_min = minimum[2] if len(minimum) > 2 else None
    per_change = next(iter(naive.values()))[1]
    for latency, ar in runs.items():
        reqs, ms = ar.apply.median_requests, f"{latency * 1000:.0f} ms"
        outcome = ("—" if ar.applied == expected and not ar.unverified
                   else f"**{ar.applied} applied, {ar.unverified} unverified**")
        table.add(label, ms, seconds(ar.apply.median_s), reqs, apply_min, pct_over(reqs, apply_min), per_change,
                  times_fewer(per_change, reqs), megabytes(heap_mb), "none set", outcome)
        vreqs = ar.verify.median_requests
        table.add("↳ verify (re-read after apply)", ms, seconds(ar.verify.median_s), vreqs, verify_min,
                  pct_over(vreqs, verify_min), "", "", "", "", "")
        if record_min is not None and ar.record.requests:
            rreqs = ar.record.median_requests
            table.add("↳ managed record (read, then written)", ms, seconds(ar.record.median_s), rreqs, record_min,
                      pct_over(rreqs, record_min), "", "", "", "", "")
    for latency, (secs, reqs) in naive.items():
        table.add("one-by-one writes (baseline, 1 run)", f"{latency * 1000:.0f} ms", seconds(secs), reqs,
                  apply_min, pct_over(reqs, apply_min), reqs, "1x", "", "", "")
