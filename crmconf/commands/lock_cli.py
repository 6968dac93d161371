"""Click wiring for `crmconf unlock` (and its Terraform spelling `force-unlock`), registered by crmconf.cli."""

from __future__ import annotations

from pathlib import Path

import click

from crmconf.commands.options import resolve, workspace_options
from crmconf.ui import Console


@click.command()
@click.argument("lock_id", metavar="LOCK_ID")
@click.option("--target", "-t", default=None, help="The target the lock is on (default: default_target).")
@click.option("--force", is_flag=True, help="Do not ask for confirmation (CI, or no terminal).")
@workspace_options()
def unlock(lock_id: str, target: str | None, force: bool, workspace: Path | None) -> int:
    """Remove the apply lock LOCK_ID that a dead run left on a target (the refusal names the id)."""
    from crmconf.clock import today
    from crmconf.commands import unlock as command

    console = click.get_current_context().find_root().obj
    assert isinstance(console, Console)
    return command.run(resolve(workspace), lock_id=lock_id, target=target, force=force, today=today(),
                       console=console)


force_unlock = click.Command("force-unlock", callback=unlock.callback, params=unlock.params,
                             help="The same as `crmconf unlock` (Terraform's name for it).")

commands = [unlock, force_unlock]
