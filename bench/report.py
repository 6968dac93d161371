"""Tables of figures: built once, printed and written to BENCHMARKS.md from the same text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.measure import ApplyRuns, ReadFigures

WAITING_GOAL = 1.5  # the plan's waiting at 50 ms, at most this many times the critical path
REQUESTS_GOAL = 1.10  # requests, at most this many times the minimum


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # markdown paragraphs written under the table
    # Acceptance ratios this section measured (figure, ratio, goal, met), gathered into one table at the end.
    ratios: list[list[str]] = field(default_factory=list)

    def ratio(self, figure: str, value: str, goal: str, ok: bool | None) -> None:
        """A ratio row; `ok` None: shown to explain the others, no goal of its own."""
        self.ratios.append([figure, value, goal, "—" if ok is None else met(ok)])

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


def ratio_rows(table: Table, vendor: str, reads: ReadFigures, chain: int, minimum: int,
               applies: Mapping[float, ApplyRuns], verify_minimum: int, applied: str) -> None:
    """A vendor's acceptance ratios: the plan's waiting against the critical path at each latency, its
    requests against the minimum, the verifying re-read's requests against its minimum."""
    for latency, runs in reads.plans.items():
        if not latency:
            continue
        waiting, critical = reads.waiting(latency), chain * latency
        table.ratio(f"{vendor} plan at {latency * 1000:.0f} ms: waiting ÷ critical path",
                    f"{waiting:.2f} s ÷ {critical:.2f} s ({chain} dependent requests) = {waiting / critical:.2f}",
                    f"≤ {WAITING_GOAL:g}", waiting <= WAITING_GOAL * critical)
        reqs = runs.median_requests
        table.ratio(f"{vendor} plan at {latency * 1000:.0f} ms: requests ÷ minimum",
                    f"{reqs} ÷ {minimum} = {reqs / minimum:.2f}", f"≤ {REQUESTS_GOAL:.2f}",
                    reqs <= REQUESTS_GOAL * minimum)
    for latency, ar in applies.items():
        reqs = ar.verify.median_requests
        table.ratio(f"{vendor} verify after applying {applied} ({latency * 1000:.0f} ms): requests ÷ minimum",
                    f"{reqs} ÷ {verify_minimum} = {reqs / verify_minimum:.2f}", "1.00", reqs <= verify_minimum)
