"""Where output goes: data to stdout, messages and prompts to stderr; colour decided once."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import click


@dataclass
class Console:
    color: bool = False

    @classmethod
    def create(cls, color: str = "auto") -> Console:
        if color == "always":
            return cls(True)
        if color == "never" or os.environ.get("NO_COLOR"):
            return cls(False)
        return cls(sys.stdout.isatty() and os.environ.get("TERM") != "dumb")

    def out(self, text: str) -> None:
        click.echo(text, color=self.color)

    def err(self, text: str) -> None:
        click.echo(text, err=True, color=self.color)

    def interactive(self) -> bool:
        return sys.stdin.isatty()
