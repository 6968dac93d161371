"""A KPI's trend as an inline SVG chart: no script, no font or image to load, every text escaped.

The line joins the runs (by time, so a gap between runs shows as a long segment), each run is a dot
coloured by its status with a tooltip (`<title>`), and the target is a dashed line.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from crmconf.health.model import KpiResult, Point

WIDTH, HEIGHT = 360, 120
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 10, 22
COLORS = {"ok": "#2f855a", "below": "#c53030", "unmeasured": "#b7791f", "empty": "#a0aec0"}


def _target(k: KpiResult) -> float | None:
    if k.unit == "percent":
        return k.target.percent
    if k.unit == "count" and k.target.percent is not None:
        return None  # the chart plots records; a share target has no line on that scale
    return k.target.count


def _fmt(value: float, unit: str) -> str:
    return f"{value:.4g}%" if unit == "percent" else f"{value:.4g}"


def chart(k: KpiResult) -> str:
    points = [p for p in k.trend if p.value is not None]
    if not points:
        return '<p class="meta">No figures yet to draw.</p>'
    goal = _target(k)
    values = [p.value for p in points if p.value is not None] + ([goal] if goal is not None else [])
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.1
    # Records and shares are never below 0 (nor shares above 100): the axis does not suggest otherwise.
    floor, ceiling = 0.0, (100.0 if k.unit == "percent" else None)
    low = max(low - pad, floor) if min(values) >= floor else low - pad
    high = min(high + pad, ceiling) if ceiling is not None and max(values) <= ceiling else high + pad
    if high <= low:
        high = low + 1
    start, end = points[0].at, points[-1].at
    span = (end - start).total_seconds() or 1.0

    def x(at: datetime) -> float:
        inner = WIDTH - LEFT - RIGHT
        return LEFT + (inner * (at - start).total_seconds() / span if len(points) > 1 else inner / 2)

    def y(value: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (high - value) / (high - low)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
             f'height="{HEIGHT}" role="img" aria-label="{escape(k.title)} over the last {len(points)} run(s)">',
             f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" '
             'fill="#f8fafc" stroke="#d9e0e7"/>']
    for value in (max(values), min(values)):
        parts.append(f'<text x="{LEFT - 4}" y="{y(value) + 4:.1f}" font-size="10" text-anchor="end" '
                     f'fill="#61707f">{escape(_fmt(value, k.unit))}</text>')
    if goal is not None:
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(goal):.1f}" y2="{y(goal):.1f}" '
                     'stroke="#4a5568" stroke-dasharray="4 3"><title>target '
                     f'{escape(_fmt(goal, k.unit))}</title></line>')
    if len(points) > 1:
        line = " ".join(f"{x(p.at):.1f},{y(p.value or 0):.1f}" for p in points)
        parts.append(f'<polyline points="{line}" fill="none" stroke="#2b6cb0" stroke-width="2"/>')
    parts += [_dot(p, x(p.at), y(p.value or 0), k.unit) for p in points]
    parts.append(f'<text x="{LEFT}" y="{HEIGHT - 6}" font-size="10" fill="#61707f">{start:%Y-%m-%d}</text>')
    if len(points) > 1:
        parts.append(f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" font-size="10" text-anchor="end" '
                     f'fill="#61707f">{end:%Y-%m-%d}</text>')
    return "".join(parts) + "</svg>"


def _dot(p: Point, cx: float, cy: float, unit: str) -> str:
    tip = f"{p.at:%Y-%m-%d %H:%M}: {_fmt(p.value or 0, unit)} ({p.status})"
    return (f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{COLORS[p.status]}">'
            f"<title>{escape(tip)}</title></circle>")
