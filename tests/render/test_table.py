"""Text tables through rich (crmconf.render.table.grid)."""

from __future__ import annotations

from crmconf.render.table import grid


def test_columns_align_on_what_a_terminal_shows() -> None:
    assert grid([["NAME", "OWNER"], ["日本語", "maria"], ["x", ""]]) == [
        "NAME    OWNER",
        "日本語  maria",  # a wide character takes two cells
        "x",
    ]


def test_a_cell_is_text_never_markup_and_never_wrapped() -> None:
    long = "word " * 60
    lines = grid([["[bold]label[/bold]", long.strip()]])
    assert lines == [f"[bold]label[/bold]  {long.strip()}"]


def test_styles_paint_cells_only_when_colour_is_on() -> None:
    rows, styles = [["A", "B"], ["ok", "x"]], [[], ["green"]]
    assert grid(rows, styles=styles) == ["A   B", "ok  x"]
    assert grid(rows, styles=styles, color=True)[1] == "\x1b[32mok\x1b[0m  x"
