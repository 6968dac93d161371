"""Click wiring for `crmconf done` and `crmconf forget` (registered by crmconf.cli)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from crmconf.commands.options import resolve, workspace_options
from crmconf.ui import Console

DATE = click.DateTime(formats=["%Y-%m-%d"])


def _console() -> Console:
    obj = click.get_current_context().find_root().obj
    assert isinstance(obj, Console)
    return obj


@click.command()
@click.argument("steps", nargs=-1, required=True, metavar="STEP...")
@click.option("--by", "by", required=True, help="The e-mail of who did it.")
@click.option("--on", "on", type=DATE, default=None, help="When it was done (YYYY-MM-DD; default today).")
@click.option("--note", default=None, help="A note kept with the record.")
@click.option("--target", "-t", default=None, help="The target it was done on (default: default_target).")
@workspace_options()
def done(
    steps: tuple[str, ...],
    by: str,
    on: datetime | None,
    note: str | None,
    target: str | None,
    workspace: Path | None,
) -> int:
    """Record that manual STEP(s) were done by hand (ids as `crmconf plan` shows them)."""
    from crmconf.clock import today
    from crmconf.commands import done as command

    day: date | None = on.date() if on else None
    return command.run(
        resolve(workspace),
        steps=steps,
        by=by,
        on=day,
        note=note,
        target=target,
        today=today(),
        console=_console(),
    )


@click.command()
@click.argument("addresses", nargs=-1, required=True, metavar="ADDRESS...")
@click.option("--reason", default=None, help="Why crmconf leaves it alone (kept in crmconf.yaml).")
@click.option("--target", "-t", default=None, help="Only on this target (default: every target).")
@workspace_options()
def forget(addresses: tuple[str, ...], reason: str | None, target: str | None, workspace: Path | None) -> int:
    """Stop managing ADDRESS(es) without deleting them: list them under `unmanaged:` in crmconf.yaml."""
    from crmconf.clock import today
    from crmconf.commands import forget as command

    return command.run(
        resolve(workspace),
        addresses=addresses,
        reason=reason,
        target=target,
        today=today(),
        console=_console(),
    )


@click.command()
@click.argument("addresses", nargs=-1, required=True, metavar="ADDRESS...")
@click.option("--reason", default=None, help="Why crmconf leaves it alone (kept in crmconf.yaml).")
@click.option("--target", "-t", default=None, help="Only on this target (default: every target).")
@workspace_options()
def accept(addresses: tuple[str, ...], reason: str | None, target: str | None, workspace: Path | None) -> int:
    """Knowingly leave unmanaged ADDRESS(es) alone (vendor defaults, an integration's fields):
    list them under `unmanaged:` in crmconf.yaml, so drift stops reporting them. Wildcards allowed."""
    from crmconf.clock import today
    from crmconf.commands import forget as command

    return command.run(
        resolve(workspace),
        addresses=addresses,
        reason=reason,
        target=target,
        today=today(),
        console=_console(),
        verb="accept",
    )


commands = [done, forget, accept]
