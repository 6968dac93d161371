"""Tables of figures: built once, printed and written to BENCHMARKS.md from the same text."""

from __future__ import annotations

from dataclasses import dataclass, field


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
