"""Escaping for Markdown: every value that may come from a live CRM is shown, never interpreted.

A label in a vendor org is written by anyone with admin rights; pasted raw into a pull-request comment it
could open a link, load an image, mention a team, close the code block and write its own "plan". So:
`cell` for text (tables and prose), `code` for identifiers, `fence` for blocks, and `one_line` under all
three (line breaks become spaces, other control characters visible escapes).
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPECIAL = re.compile(r"([\\`*\[\]~|!]|(?<!\w)_|_(?!\w))")  # an underscore inside a word emphasises nothing
_MENTION = re.compile(r"(?<![\w@.])@(?=\w)")  # @team would notify: a code span around the @ keeps it text


def one_line(text: str) -> str:
    """Line breaks and tabs as spaces, other control characters as visible escapes: one line, nothing hidden."""
    return _CONTROL.sub(lambda m: " " if m.group(0) in "\n\r\t" else f"\\u{ord(m.group(0)):04x}", text)


def cell(text: str) -> str:
    """Text that renders as itself: no cell split, row break, raw HTML, link, image, emphasis or mention."""
    escaped = _SPECIAL.sub(r"\\\1", one_line(text)).replace("<", "&lt;").replace(">", "&gt;")
    return _MENTION.sub("`@`", escaped)


def code(text: str) -> str:
    """An inline code span holding any text: the fence is longer than any run of backticks inside."""
    text = one_line(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fence(lines: list[str], info: str = "") -> list[str]:
    """A fenced block no line inside can close: each line made one line, the fence outgrowing them."""
    body = [one_line(line) for line in lines]
    longest = max((len(run) for line in body for run in re.findall(r"`+", line)), default=0)
    marker = "`" * max(3, longest + 1)
    return [f"{marker}{info}", *body, marker]
