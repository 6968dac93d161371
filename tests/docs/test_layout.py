"""Process maps that read well at the handbook's width: long pipelines wrap into balanced rows, the
closing stages share the last open stage's row (won on the main line, the others branching below it),
side paths hang below their stage; nothing overlaps and nothing leaves the picture."""

from __future__ import annotations

import itertools

import pytest

from crmconf.docs.layout import MAX_WIDTH, Diagram, edges, layout, rows_of
from crmconf.docs.model import ProcessMap, StageStep

PAGE = 1280 - 2 * 24  # the handbook's <main>: 1,280 px less its padding


def stage(name: str, outcome: str | None = None, branch_from: str | None = None) -> StageStep:
    return StageStep(name, name.replace("_", " ").title(), None, (), None, None, outcome, branch_from)


def process(*stages: StageStep) -> ProcessMap:
    return ProcessMap("p", "P", "deal", None, (), stages, edges(stages))


def opened(n: int) -> list[StageStep]:
    return [stage(f"s{i}") for i in range(n)]


def sound(diagram: Diagram) -> None:
    """Inside the page, inside its own box, no two boxes overlapping."""
    assert diagram.width <= MAX_WIDTH <= PAGE
    for a, b in itertools.combinations(diagram.boxes, 2):
        assert a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y, (a, b)
    for box in diagram.boxes:
        assert box.x >= 0 and box.x + box.w <= diagram.width and box.y >= 0 and box.y + box.h <= diagram.height
    for arrow in diagram.arrows:
        for x, y in (*arrow.points, *arrow.head):
            assert 0 <= x <= diagram.width and 0 <= y <= diagram.height


@pytest.mark.parametrize(("count", "rows"), [(0, [0]), (1, [1]), (4, [4]), (5, [3, 2]), (9, [5, 4]),
                                              (10, [4, 3, 3]), (12, [4, 4, 4]), (14, [5, 5, 4]), (24, [5, 5, 5, 5, 4])])
def test_rows_are_balanced_and_keep_a_slot_for_the_closing_stages(count: int, rows: list[int]) -> None:
    assert rows_of(count) == rows
    assert all(r < 5 for r in rows[-1:]) and sum(rows) == count


@pytest.mark.parametrize("count", [1, 4, 5, 10, 12, 30])
def test_a_long_pipeline_wraps_and_stays_readable(count: int) -> None:
    diagram = layout(process(*opened(count), stage("won", "won"), stage("lost", "lost")))
    sound(diagram)
    by_index = {b.index: b for b in diagram.boxes}
    won, lost, last = by_index[count], by_index[count + 1], by_index[count - 1]
    assert won.y == last.y and won.x > last.x  # the main line ends won, in the last open stage's row
    assert lost.x == won.x and lost.y > won.y  # lost branches below it
    assert len({b.y for b in diagram.boxes if b.index < count}) == len(rows_of(count))
    wraps = [a for a in diagram.arrows if a.kind == "wrap"]
    assert len(wraps) == len(rows_of(count)) - 1
    assert all(a.points[1][0] > max(b.x + b.w for b in diagram.boxes if b.y == a.points[0][1] - 35) for a in wraps)


def test_side_paths_hang_below_their_stage_there_and_back() -> None:
    stages = (stage("new"), stage("in_progress"), stage("waiting", branch_from="in_progress"),
              stage("escalated", branch_from="in_progress"), stage("resolved", "closed"),
              stage("duplicate", "closed"))
    diagram = layout(process(*stages))
    sound(diagram)
    box = {stages[b.index].name: b for b in diagram.boxes}
    assert box["waiting"].x == box["escalated"].x == box["in_progress"].x
    assert box["in_progress"].y < box["waiting"].y < box["escalated"].y and box["waiting"].branch
    assert box["resolved"].y == box["new"].y and box["duplicate"].y > box["resolved"].y
    assert [(e.source, e.target, e.kind) for e in edges(stages)] == [
        (0, 1, "next"), (1, 2, "branch"), (2, 1, "return"), (1, 3, "branch"), (3, 1, "return"),
        (1, 4, "outcome"), (1, 5, "outcome")]


@pytest.mark.parametrize("parent", ["nowhere", "won", "side", "s0x"])
def test_a_branch_of_nothing_drawable_stays_on_the_main_path(parent: str) -> None:
    stages = (stage("s0"), stage("side", branch_from="s0"), stage("odd", branch_from=parent), stage("won", "won"))
    diagram = layout(process(*stages))
    sound(diagram)
    odd = next(b for b in diagram.boxes if b.index == 2)
    assert not odd.branch and odd.y == diagram.boxes[0].y
