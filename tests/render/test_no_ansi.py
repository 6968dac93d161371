"""Colour comes from rich (crmconf.render.paint, rich tables and progress): no escape code is written by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crmconf.render.paint import paint

REPO = Path(__file__).resolve().parents[2]
# An escape sequence's start spelled in source: \x1b[ \033[ \u001b[ \U0000001b[ \N{ESCAPE}[ chr(27)
HAND_WRITTEN = re.compile(r"""\\(?:x1b|x1B|033|u001b|u001B|U0000001b|U0000001B|N\{ESCAPE\})\[|chr\(\s*27\s*\)""")


def sources() -> list[Path]:
    return sorted(p for folder in ("crmconf", "providers") for p in (REPO / folder).rglob("*.py"))


def test_the_package_writes_no_escape_codes_by_hand() -> None:
    found = [f"{p.relative_to(REPO)}:{n}: {line.strip()}" for p in sources()
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if HAND_WRITTEN.search(line)]
    assert sources() and found == []


@pytest.mark.parametrize("spelled", [r'"\x1b[31m"', r"'\033[0m'", r'"\u001b[1m"', "chr(27)", r'"\N{ESCAPE}[2J"'])
def test_the_check_finds_each_spelling(spelled: str) -> None:
    assert HAND_WRITTEN.search(f"text = {spelled} + label")


def test_paint_is_rich_standard_colour_and_nothing_when_off() -> None:
    assert paint("~ field", "yellow", True) == "\x1b[33m~ field\x1b[0m"
    assert paint("error", "bold red", True) == "\x1b[1;31merror\x1b[0m"
    assert paint("~ field", "yellow", False) == "~ field"
