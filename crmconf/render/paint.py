"""Colour through rich: renderers name a style ("red", "bold yellow"), rich writes the terminal's codes.

Renderers return strings (they are tested as text and written through crmconf.ui.Console, which masks
secrets and lets only colour codes through), so a style is rendered to its codes here rather than printed
by a rich Console. Standard colours only: they follow the terminal's own theme.
"""

from __future__ import annotations

from rich.color import ColorSystem
from rich.style import Style


def paint(text: str, style: str, color: bool) -> str:
    """`text` in `style` (rich's style syntax) when colour is on; unchanged when it is off."""
    if not color or not text:
        return text
    return Style.parse(style).render(text, color_system=ColorSystem.STANDARD)
