"""Click wiring for `crmconf import` (registered by crmconf.cli)."""

from __future__ import annotations

from pathlib import Path

import click

from crmconf.clock import today
from crmconf.commands import import_
from crmconf.commands.options import resolve, workspace_options
from crmconf.ui import Console


@click.command("import")
@workspace_options(dir_alias=True)
@click.option("--target", "-t", default=None, help="The target to read (default: default_target).")
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="ADDRESS",
    help="Adopt only this live object (repeatable; wildcards allowed, e.g. 'field.contact.zi_*').",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Another workspace to merge into, or an empty folder for a new workspace (default: the workspace).",
)
@click.option("--force", is_flag=True, hidden=True)
def import_command(
    workspace: Path | None,
    legacy_dir: Path | None,
    target: str | None,
    only: tuple[str, ...],
    out: Path | None,
    force: bool,
) -> int:
    """Adopt live objects into the workspace (or write a new workspace describing the live CRM)."""
    console = click.get_current_context().find_root().obj
    assert isinstance(console, Console)
    root = resolve(workspace, legacy_dir=legacy_dir)
    if force:
        console.err("warning: --force is no longer needed: import merges and never overwrites (ignored)")
    return import_.run(root, target=target, out=out, only=only, today=today(), console=console)


commands = [import_command]
