"""The click layer of `crmconf show` and `crmconf ci` (registered by crmconf.cli)."""

from __future__ import annotations

from pathlib import Path

import click

from crmconf.ui import Console

PLANFILE = click.Path(dir_okay=False, exists=True, path_type=Path)


def _console() -> Console:
    obj = click.get_current_context().find_root().obj
    assert isinstance(obj, Console)
    return obj


@click.command()
@click.argument("planfile", type=PLANFILE)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True)
def show(planfile: Path, fmt: str) -> int:
    """Render a saved plan (crmconf plan --out) again, without reading the CRM."""
    from crmconf.commands import show as command

    return command.run(planfile, fmt=fmt, console=_console())


@click.group()
def ci() -> None:
    """What the GitHub Action runs: the sticky plan comment, reports cut to GitHub's limit."""


@ci.command()
@click.option("--pull-request", "number", type=click.IntRange(min=1), required=True)
@click.option("--key", required=True, help="WORKSPACE@TARGET: one comment per key.")
@click.option("--plan", "plan", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The plan as markdown (crmconf show PLANFILE --format markdown); absent: no plan.")
@click.option("--failed", multiple=True, metavar="STEP=LOGFILE", help="A step that failed, and its log.")
@click.option("--run-url", default="", help="The workflow run, linked from a failure.")
def comment(number: int, key: str, plan: Path | None, failed: tuple[str, ...], run_url: str) -> int:
    """Create or update the pull request's comment for KEY (GITHUB_TOKEN, GITHUB_REPOSITORY)."""
    from crmconf.commands import ci as command

    return command.run_comment(number, key, plan, failed, run_url, _console())


@ci.command()
@click.argument("report", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--limit", type=click.IntRange(min=1000), default=65_536, show_default=True)
@click.option("--link", default="", help="Where the whole report is (an https URL, e.g. the artifact).")
@click.option("--what", default="report", show_default=True, help="What the report is, in the note.")
def fit(report: Path, limit: int, link: str, what: str) -> int:
    """Print REPORT cut to LIMIT characters at a line boundary, with a note and a link to the whole."""
    from crmconf.commands import ci as command

    return command.run_fit(report, limit, link, what, _console())


commands = [show, ci]
