"""What the handbook says, as frozen data: the renderers only lay it out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class TermEntry:
    term: str
    definition: str
    owners: tuple[str, ...]
    avoid: tuple[str, ...]
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class StageStep:
    name: str
    label: str
    probability: int | None
    required: tuple[str, ...]  # as readers know them: field labels, with the name when it differs
    exit_criteria: str | None
    owner_team: str | None
    outcome: str | None  # won / lost / closed, None for an open stage
    branch_from: str | None = None  # a side path off this stage of the main path (an escalation)

    @property
    def is_outcome(self) -> bool:
        return self.outcome is not None


@dataclass(frozen=True)
class Edge:
    source: int  # index into ProcessMap.stages
    target: int
    kind: str = "next"  # next (the main path), branch and return (a side path), outcome (closing)


@dataclass(frozen=True)
class ProcessMap:
    name: str
    label: str
    object: str
    description: str | None
    owners: tuple[str, ...]
    stages: tuple[StageStep, ...]
    edges: tuple[Edge, ...]


@dataclass(frozen=True)
class InventoryEntry:
    name: str
    kind: str  # compiled / bound
    object: str | None
    trigger: str  # one readable phrase; "" for bound automations
    actions: tuple[str, ...]
    binds: tuple[tuple[str, str], ...]  # (provider, vendor id)
    owner: str | None
    team: str | None
    purpose: str | None
    description: str | None
    reviewed: date | None
    next_review: date | None
    status: str

    def cells(self) -> list[str]:
        """The inventory row after the name, as plain text, for every handbook format."""
        how = self.trigger + (" → " + "; ".join(self.actions) if self.actions else "")
        if self.kind == "bound":
            how = "bound: " + ", ".join(f"{p} {v}" for p, v in self.binds)
        return [
            self.object or "",
            how,
            self.owner or "",
            self.team or "",
            self.purpose or "",
            self.reviewed.isoformat() if self.reviewed else "never",
            self.next_review.isoformat() if self.next_review else "",
            self.status,
        ]


@dataclass(frozen=True)
class Handbook:
    title: str
    generated_on: date
    terms: tuple[TermEntry, ...]
    processes: tuple[ProcessMap, ...]
    automations: tuple[InventoryEntry, ...]
