"""The click command of `crmconf health` (registered by crmconf.cli through `commands`)."""

from __future__ import annotations

from pathlib import Path

import click

from crmconf.commands.options import resolve, workspace_options


@click.command("health")
@workspace_options()
@click.option("--target", "-t", default=None, help="A target from crmconf.yaml (default: default_target).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "html"]), default="text",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to this file (the HTML page, say) instead of printing it.")
@click.option("--no-history", "no_history", is_flag=True,
              help="Do not add this run to health/<target>.jsonl (trends still read it).")
@click.option("--fail-on", type=click.Choice(["escalated", "below", "never"]), default="escalated",
              show_default=True, help="When to exit 5: a KPI escalates, any KPI is below target, or never.")
@click.option("--verbose", "-v", "everything", is_flag=True, help="Text: list every figure, not only those below target.")
@click.pass_context
def health(ctx: click.Context, workspace: Path | None, target: str | None, fmt: str, out: Path | None,
           no_history: bool, fail_on: str, everything: bool) -> int:
    """Measure whether the rollout works: KPIs from the spec, counted on the live records (exit 5 on escalation)."""
    from crmconf.clock import now, today
    from crmconf.commands import health as command
    from crmconf.ui import Console

    console = ctx.find_root().obj
    assert isinstance(console, Console)
    root = resolve(workspace)
    return command.run(root, target=target, fmt=fmt, out=out, record=not no_history, fail_on=fail_on,
                       everything=everything, now=now(), today=today(), console=console)


commands = [health]
