"""Geometry of a process map: boxes and arrows in SVG user units, computed, not drawn. Pure.

Open stages sit in one row, left to right; outcome stages stack in the column after the last open
stage, so a pipeline reads like the Mermaid `flowchart LR` in the Markdown handbook.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from crmconf.docs.model import ProcessMap, StageStep

BOX_W, BOX_H = 196, 70
GAP_X, GAP_Y = 56, 16
PAD = 12
CHARS = 27  # characters that fit one line of a box at the handbook's 12px font
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


@dataclass(frozen=True)
class Arrow:
    x1: float
    y1: float
    x2: float  # where the shaft ends, at the base of the head
    y2: float
    head: tuple[tuple[float, float], ...]  # the arrowhead triangle, tip first


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


def layout(process: ProcessMap) -> Diagram:
    open_ = [i for i, s in enumerate(process.stages) if not s.is_outcome]
    outcomes = [i for i, s in enumerate(process.stages) if s.is_outcome]
    rows = max(1, len(outcomes))
    column_h = rows * BOX_H + (rows - 1) * GAP_Y
    middle_y = PAD + (column_h - BOX_H) / 2
    boxes: dict[int, Box] = {}
    for col, i in enumerate(open_):
        boxes[i] = _box(process, i, PAD + col * (BOX_W + GAP_X), middle_y)
    outcome_x = PAD + len(open_) * (BOX_W + GAP_X)
    for row, i in enumerate(outcomes):
        boxes[i] = _box(process, i, outcome_x, PAD + row * (BOX_H + GAP_Y))
    columns = len(open_) + (1 if outcomes else 0)
    width = 2 * PAD + columns * BOX_W + max(columns - 1, 0) * GAP_X
    arrows = tuple(_arrow(boxes[e.source], boxes[e.target]) for e in process.edges)
    ordered = tuple(boxes[i] for i in range(len(process.stages)))
    return Diagram(width, 2 * PAD + column_h, ordered, arrows)


def _box(process: ProcessMap, index: int, x: float, y: float) -> Box:
    step = process.stages[index]
    return Box(index, x, y, BOX_W, BOX_H, box_lines(step), step.outcome)


def _arrow(a: Box, b: Box) -> Arrow:
    x1, y1 = a.x + a.w, a.y + a.h / 2
    tip_x, tip_y = b.x, b.y + b.h / 2
    length = math.hypot(tip_x - x1, tip_y - y1) or 1.0
    dx, dy = (tip_x - x1) / length, (tip_y - y1) / length
    base_x, base_y = tip_x - HEAD * dx, tip_y - HEAD * dy
    half = HEAD / 2
    head = (
        (tip_x, tip_y),
        (base_x - half * dy, base_y + half * dx),
        (base_x + half * dy, base_y - half * dx),
    )
    return Arrow(x1, y1, base_x, base_y, tuple((round(px, 1), round(py, 1)) for px, py in head))
