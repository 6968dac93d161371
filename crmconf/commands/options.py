"""The one way every command names its workspace: `-w/--workspace DIR` (default: the current folder).

Earlier versions took the folder as a positional argument on some commands and as `--dir` on others,
so `crmconf apply plan.json` failed where `crmconf plan specs` worked. Both old spellings still work
for one version, with a warning on stderr; they are hidden from `--help`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

DIR = click.Path(file_okay=False, path_type=Path)
F = TypeVar("F", bound=Callable[..., Any])

WORKSPACE = click.option(
    "-w",
    "--workspace",
    "workspace",
    type=DIR,
    default=None,
    help="The workspace folder (default: the current folder).",
)
LEGACY_DIR = click.option("--dir", "legacy_dir", type=DIR, default=None, hidden=True)
LEGACY_ROOT = click.argument("legacy_root", type=DIR, required=False, metavar="")


def workspace_options(*, positional: bool = False, dir_alias: bool = False) -> Callable[[F], F]:
    """`-w/--workspace`, plus the deprecated spelling this command used to take."""

    def wrap(fn: F) -> F:
        fn = WORKSPACE(fn)
        if dir_alias:
            fn = LEGACY_DIR(fn)
        if positional:
            fn = LEGACY_ROOT(fn)
        return fn

    return wrap


def resolve(
    workspace: Path | None, *, legacy_root: Path | None = None, legacy_dir: Path | None = None
) -> Path:
    """The workspace folder from whichever spelling was used; two that disagree are an error."""
    given = [
        (w, how) for w, how in ((workspace, "-w"), (legacy_root, "WORKSPACE"), (legacy_dir, "--dir")) if w
    ]
    if len({Path(w).resolve() for w, _ in given}) > 1:
        raise click.UsageError(
            "the workspace is named twice, differently: " + ", ".join(f"{h} {w}" for w, h in given)
        )
    if legacy_root is not None and workspace is None:
        _deprecated(
            f"naming the workspace as an argument ({legacy_root}) is deprecated: use -w {legacy_root}"
        )
    if legacy_dir is not None and workspace is None:
        _deprecated(f"--dir is deprecated: use -w {legacy_dir}")
    return workspace or legacy_root or legacy_dir or Path(".")


def _deprecated(message: str) -> None:
    click.echo(f"warning: {message} (the old spelling goes away in the next version)", err=True)
