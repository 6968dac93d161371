"""Click wiring for `crmconf import` (registered by crmconf.cli)."""

from __future__ import annotations

from pathlib import Path

import click

from crmconf.clock import today
from crmconf.commands import import_
from crmconf.ui import Console


@click.command("import")
@click.option("--target", "-t", default=None, help="The target to read (default: default_target).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The folder to write the imported workspace to.",
)
@click.option(
    "--dir",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The workspace whose crmconf.yaml defines the target.",
)
@click.option("--force", is_flag=True, help="Overwrite YAML files already in --out.")
def import_command(target: str | None, out: Path, root: Path, force: bool) -> int:
    """Write a workspace describing the live CRM (plan against it then shows no changes)."""
    console = click.get_current_context().find_root().obj
    assert isinstance(console, Console)
    return import_.run(root, target=target, out=out, force=force, today=today(), console=console)


commands = [import_command]
