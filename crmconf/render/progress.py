"""Progress on stderr, through rich: a spinner while the CRM is read, a bar while changes are applied.

Only in a terminal (stderr a TTY, TERM not dumb), and transient: when the work ends the bar goes and
what stays on screen is what the command prints anyway. Off a terminal (CI logs, pipes, tests) nothing
is drawn: an apply's per-change lines are printed as plain lines, as they always were, and reads stay
silent (`--verbose` lists their requests).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator

from rich.console import Console as RichConsole
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from crmconf import logs
from crmconf.ui import Console, safe


def terminal(console: Console) -> RichConsole | None:
    """The rich console progress draws on, or None when stderr is no terminal."""
    if not sys.stderr.isatty() or os.environ.get("TERM") == "dumb":
        return None
    return RichConsole(stderr=True, no_color=not console.color, highlight=False)


@contextlib.contextmanager
def reading(console: Console, what: str, screen: RichConsole | None = None) -> Iterator[None]:
    """A spinner with the count of requests sent so far (crmconf.logs reports each one)."""
    screen = screen or terminal(console)
    if screen is None:
        yield
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} requests"),
                  TimeElapsedColumn(), console=screen, transient=True) as bar:
        task = bar.add_task(safe(what), total=None)
        with logs.listening(lambda: bar.advance(task)):
            yield


@contextlib.contextmanager
def applying(console: Console, what: str, total: int,
             screen: RichConsole | None = None) -> Iterator[Callable[[str], None]]:
    """A bar over `total` changes; the function it gives prints one change's line and advances the bar
    (off a terminal it prints the line, and that is all)."""
    screen = screen or terminal(console)
    if screen is None:
        yield console.err
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=screen, transient=True) as bar:
        task = bar.add_task(safe(what), total=total)

        def done(line: str) -> None:
            bar.console.print(Text(safe(line)))  # Text: a label's [brackets] are not rich markup
            bar.advance(task)

        yield done
