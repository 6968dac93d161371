"""Geometry of a process map: boxes and arrows in SVG user units, computed, not drawn. Pure.

The main path (open stages that are no branch, then the closing stages) reads left to right and wraps
into rows, so a 12-stage pipeline stays readable at the handbook's width instead of shrinking to fit one
row. The first closing stage (the won one, when there is one) ends the main line; the other closing
stages (lost, a duplicate) branch off below it, reached from the last open stage. A stage with
`branch_from` (an escalation, waiting on the customer) hangs below the stage it branches from, with an
arrow there and one back. Rows are balanced, and the closing stages always share a row with the last
open stage, so no arrow ever crosses the page.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from crmconf.docs.model import Edge, ProcessMap, StageStep

BOX_W, BOX_H = 184, 70
GAP_X, GAP_Y = 48, 22
ROW_GAP = 40  # between rows: room for the arrow that wraps to the next row
PAD = 30  # room on the left for the arrows of a second side path under the first column
PER_ROW = 5  # 5 columns: 2 * PAD + 5 * BOX_W + 4 * GAP_X + GAP_X / 2 = 1,196, inside a 1,280 px page
MAX_WIDTH = 2 * PAD + PER_ROW * BOX_W + (PER_ROW - 1) * GAP_X + GAP_X // 2
CHARS = 25  # characters that fit one line of a box at the handbook's 12px font
HEAD = 9  # arrowhead length


@dataclass(frozen=True)
class Box:
    index: int  # into ProcessMap.stages
    x: float
    y: float
    w: float
    h: float
    lines: tuple[str, ...]  # first line is the stage label
    outcome: str | None
    branch: bool = False  # an open stage off the main path


@dataclass(frozen=True)
class Arrow:
    points: tuple[tuple[float, float], ...]  # the shaft, ending at the base of the head
    head: tuple[tuple[float, float], ...]  # the arrowhead triangle, tip first
    kind: str = "next"  # next, wrap, branch, return, outcome (crmconf.docs.model.Edge.kind)


@dataclass(frozen=True)
class Diagram:
    width: float
    height: float
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]


def fit(text: str, width: int = CHARS) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def box_lines(step: StageStep) -> tuple[str, ...]:
    detail = [f"{step.probability}%" if step.probability is not None else "", step.owner_team or ""]
    if step.outcome:
        detail.append(step.outcome)
    lines = [fit(step.label), fit(" · ".join(d for d in detail if d))]
    if step.required:
        lines.append(fit("needs: " + ", ".join(step.required)))
    return tuple(line for line in lines if line)


def rows_of(count: int, per_row: int = PER_ROW) -> list[int]:
    """How many open stages each row holds; the last row keeps one slot for the closing stages.

    Balanced (12 open stages are three rows of 4 rather than 5, 5, 2), the extra ones in front."""
    rows = max(1, math.ceil((count + 1) / per_row))
    return [count // rows + (1 if i < count % rows else 0) for i in range(rows)]


def layout(process: ProcessMap) -> Diagram:
    stages = process.stages
    hung = branches(stages)
    main = [i for i, s in enumerate(stages) if not s.is_outcome and i not in hung]
    outcomes = [i for i, s in enumerate(stages) if s.is_outcome]
    under: dict[int, list[int]] = {}  # a main-path stage -> the boxes hung below it
    for child, parent in hung.items():
        under.setdefault(parent, []).append(child)
    ends: list[int] = []
    if outcomes:
        primary = next((i for i in outcomes if stages[i].outcome == "won"), outcomes[0])
        ends = [primary]
        under[primary] = [i for i in outcomes if i != primary]

    boxes: dict[int, Box] = {}
    slots: list[list[int]] = []
    start = 0
    for size in rows_of(len(main)):
        slots.append(main[start : start + size])
        start += size
    slots[-1] = slots[-1] + ends
    y = float(PAD)
    for row in slots:
        deepest = max((len(under.get(i, ())) for i in row), default=0)
        for col, i in enumerate(row):
            x = PAD + col * (BOX_W + GAP_X)
            boxes[i] = _box(stages[i], i, x, y)
            for depth, j in enumerate(under.get(i, ()), 1):
                boxes[j] = _box(stages[j], j, x, y + depth * (BOX_H + GAP_Y), branch=not stages[j].is_outcome)
        y += BOX_H + deepest * (BOX_H + GAP_Y) + ROW_GAP
    height = y - ROW_GAP + PAD
    columns = max(len(row) for row in slots)
    width = 2 * PAD + columns * BOX_W + (columns - 1) * GAP_X + (GAP_X // 2 if len(slots) > 1 else 0)
    arrows = tuple(_arrow(boxes[e.source], boxes[e.target], e.kind) for e in process.edges
                   if e.source in boxes and e.target in boxes)
    ordered = tuple(boxes[i] for i in range(len(stages)) if i in boxes)
    return Diagram(width, height, ordered, arrows)


def _box(step: StageStep, index: int, x: float, y: float, *, branch: bool = False) -> Box:
    return Box(index, x, y, BOX_W, BOX_H, box_lines(step), step.outcome, branch)


def _head(tip: tuple[float, float], towards: tuple[float, float]) -> tuple[tuple[float, float], ...]:
    (tx, ty), (fx, fy) = tip, towards
    length = math.hypot(tx - fx, ty - fy) or 1.0
    dx, dy = (tx - fx) / length, (ty - fy) / length
    bx, by = tx - HEAD * dx, ty - HEAD * dy
    half = HEAD / 2
    return tuple((round(px, 1), round(py, 1)) for px, py in ((tx, ty), (bx - half * dy, by + half * dx),
                                                              (bx + half * dy, by - half * dx)))


def _arrow(a: Box, b: Box, kind: str) -> Arrow:
    if kind in ("branch", "return"):
        return _side_path(a, b, kind)
    if b.y > a.y + a.h and b.x < a.x:  # the next row: right, down into the gap, left, then down
        right = a.x + a.w + GAP_X / 2
        gap_y = b.y - ROW_GAP / 2  # rows are ROW_GAP apart below their deepest branch
        top = (b.x + b.w / 2, b.y)
        head = _head(top, (top[0], gap_y))
        base = (top[0], round(top[1] - HEAD, 1))
        points = ((a.x + a.w, a.y + a.h / 2), (right, a.y + a.h / 2), (right, gap_y), (top[0], gap_y), base)
        return Arrow(points, head, "wrap")
    start = (a.x + a.w, a.y + a.h / 2)
    tip = (b.x, b.y + b.h / 2)
    return _straight(start, tip, kind)


def _side_path(a: Box, b: Box, kind: str) -> Arrow:
    """The first side path below a stage: straight down and straight back up beside it. A deeper one
    goes round the boxes above it, through the gap on the left, so no arrow runs behind a box."""
    parent, child = (a, b) if kind == "branch" else (b, a)
    depth = round((child.y - parent.y) / (BOX_H + GAP_Y))
    if depth <= 1:
        x = parent.x + parent.w / 2 + (-BOX_W / 6 if kind == "branch" else BOX_W / 6)
        if kind == "branch":
            return _straight((x, parent.y + parent.h), (x, child.y), kind)
        return _straight((x, child.y), (x, parent.y + parent.h), kind)
    lane = 12 * (depth - 2)
    mid = child.y + child.h / 2
    if kind == "branch":
        gutter, y0 = parent.x - 10 - lane, parent.y + parent.h - 10
        points = ((parent.x, y0), (gutter, y0), (gutter, mid - 8), (child.x - HEAD, mid - 8))
        return Arrow(points, _head((child.x, mid - 8), (gutter, mid - 8)), kind)
    gutter, y0 = parent.x - 20 - lane, parent.y + parent.h - 22
    points = ((child.x, mid + 8), (gutter, mid + 8), (gutter, y0), (parent.x - HEAD, y0))
    return Arrow(points, _head((parent.x, y0), (gutter, y0)), kind)


def _straight(start: tuple[float, float], tip: tuple[float, float], kind: str) -> Arrow:
    head = _head(tip, start)
    length = math.hypot(tip[0] - start[0], tip[1] - start[1]) or 1.0
    base = (round(tip[0] - HEAD * (tip[0] - start[0]) / length, 1),
            round(tip[1] - HEAD * (tip[1] - start[1]) / length, 1))
    return Arrow((start, base), head, kind)


def branches(stages: tuple[StageStep, ...]) -> dict[int, int]:
    """Open stages hung off the main path (`branch_from`), each to the main-path stage it leaves.

    A branch of a closing stage, of another branch or of an unknown stage stays on the main path
    (validate reports it: R315)."""
    names = {s.name: i for i, s in enumerate(stages)}
    found = {}
    for i, s in enumerate(stages):
        parent = names.get(s.branch_from or "")
        if s.is_outcome or parent is None or parent == i:
            continue
        if not stages[parent].is_outcome and not stages[parent].branch_from:
            found[i] = parent
    return found


def edges(stages: tuple[StageStep, ...]) -> tuple[Edge, ...]:
    """The agreed path: main stages in order, each branch there and back, the last open stage to each
    closing stage. A record can close from any stage, but drawing every such arrow buries the process."""
    hung = branches(stages)
    main = [i for i, s in enumerate(stages) if not s.is_outcome and i not in hung]
    found = [Edge(a, b) for a, b in itertools.pairwise(main)]
    for child, parent in hung.items():
        found += [Edge(parent, child, "branch"), Edge(child, parent, "return")]
    if main:
        found += [Edge(main[-1], i, "outcome") for i, s in enumerate(stages) if s.is_outcome]
    return tuple(found)
