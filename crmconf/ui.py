"""Where output goes: data to stdout, messages and prompts to stderr; colour decided once.

Everything printed passes `safe`: secrets are masked (crmconf.redact), and control characters that
could drive the terminal (escape sequences from a live CRM label, a lone carriage return that
overwrites a line, bidirectional overrides that reorder it) are shown as escapes instead. With colour
on, crmconf's own colour codes (SGR) are the only escape sequences let through.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

import click
from rich.console import Console as RichConsole

from crmconf import redact

_SGR = r"\x1b\[[0-9;]*m"
# C0 controls but tab and newline, a CR not ending a line, DEL, C1 controls, bidi embeddings/overrides/isolates
_UNSAFE = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|\r(?!\n)"
_UNSAFE_PLAIN = re.compile(_UNSAFE)
_UNSAFE_COLOR = re.compile(f"({_SGR})|{_UNSAFE}")


def _escape(match: re.Match[str]) -> str:
    if match.lastindex and match.group(1):  # one of our colour codes
        return match.group(1)
    char = match.group(0)
    return "\\r" if char == "\r" else f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def safe(text: str, *, color: bool = False) -> str:
    """Text fit for a terminal: secrets masked, control characters shown as escapes."""
    return (_UNSAFE_COLOR if color else _UNSAFE_PLAIN).sub(_escape, redact.mask(text))


@dataclass
class Console:
    color: bool = False

    @classmethod
    def create(cls, color: str = "auto") -> Console:
        if color == "always":
            return cls(True)
        if color == "never":
            return cls(False)
        # rich decides "auto" as it does for its own output: a terminal, not TERM=dumb, NO_COLOR unset
        # (https://no-color.org), FORCE_COLOR set forcing it even through a pipe (https://force-color.org).
        rich = RichConsole(file=sys.stdout)
        return cls(rich.is_terminal and rich.color_system is not None and not rich.no_color)

    def out(self, text: str) -> None:
        _echo(safe(text, color=self.color), err=False, color=self.color)

    def err(self, text: str) -> None:
        _echo(safe(text, color=self.color), err=True, color=self.color)

    def interactive(self) -> bool:
        return sys.stdin.isatty()


def _echo(text: str, *, err: bool, color: bool) -> None:
    try:
        click.echo(text, err=err, color=color)
    except UnicodeEncodeError:  # a stream that cannot show every character (PYTHONIOENCODING=ascii)
        stream = sys.stderr if err else sys.stdout
        encoding = getattr(stream, "encoding", None) or "ascii"
        click.echo(text.encode(encoding, "backslashreplace").decode(encoding), err=err, color=color)
