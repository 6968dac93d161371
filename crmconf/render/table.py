"""Text tables through rich: columns aligned by what a terminal shows (a wide character takes two cells),
two spaces apart, no borders, nothing wrapped or cut, each cell optionally in a style.

Returned as lines of text (renderers are tested as text and printed through crmconf.ui.Console, which masks
secrets); a cell is rich Text, never markup, so a label holding `[brackets]` prints as it is.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich.console import Console as RichConsole
from rich.table import Table
from rich.text import Text

WIDE = 100_000  # never wrap: a table in a CI log or a file keeps one line per row


def grid(rows: Sequence[Sequence[str]], *, styles: Sequence[Sequence[str | None]] = (),
         color: bool = False) -> list[str]:
    """`rows` (the first one may be the header) as aligned lines; `styles[i][j]` paints cell j of row i."""
    if not rows:
        return []
    table = Table.grid(padding=(0, 2, 0, 0))  # two spaces after each column but the last
    for _ in rows[0]:
        table.add_column(no_wrap=True)
    for i, row in enumerate(rows):
        painted = styles[i] if i < len(styles) else ()
        table.add_row(*(Text(cell, style=(painted[j] if j < len(painted) else None) or "")
                        for j, cell in enumerate(row)))
    console = RichConsole(file=io.StringIO(), width=WIDE, color_system="standard" if color else None,
                          force_terminal=color, no_color=not color, highlight=False, emoji=False, markup=False,
                          legacy_windows=False)
    with console.capture() as captured:
        console.print(table)
    return [line.rstrip() for line in captured.get().splitlines()]
