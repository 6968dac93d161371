"""The click layer of the governance commands: audit, review, docs (registered by crmconf.cli).

crmconf.cli imports this module, so it cannot import crmconf.cli back: the options are defined here,
the Console comes from the root context, and command modules load lazily to keep start-up fast.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from crmconf.commands.options import resolve, workspace_options
from crmconf.ui import Console

DIR = click.Path(file_okay=False, path_type=Path)
DATE = click.DateTime(formats=["%Y-%m-%d"])


def _console() -> Console:
    obj = click.get_current_context().find_root().obj
    assert isinstance(obj, Console)
    return obj


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@click.command()
@workspace_options(positional=True)
@click.option("--target", "-t", default=None, help="A target from crmconf.yaml (default: default_target).")
@click.option("--offline", is_flag=True, help="Audit the spec alone: no provider, no live checks.")
@click.option(
    "--as-of", "as_of", type=DATE, default=None, help="Audit as of this date (YYYY-MM-DD; default today)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "csv", "json", "html"]),
    default="text",
    show_default=True,
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the report to this file instead of stdout (with --by-owner: a folder).",
)
@click.option("--by-owner", "by_owner", is_flag=True, help="One report per owner (into the --out folder).")
@click.option("--github-issues", "github_issues", is_flag=True,
              help="With --by-owner: open, update or close one GitHub issue per owner (GITHUB_TOKEN).")
@click.option("--repository", default=None, help="OWNER/NAME for --github-issues (default: GITHUB_REPOSITORY).")
def audit(
    workspace: Path | None,
    legacy_root: Path | None,
    target: str | None,
    offline: bool,
    as_of: datetime | None,
    fmt: str,
    out: Path | None,
    by_owner: bool,
    github_issues: bool,
    repository: str | None,
) -> int:
    """The automation audit: owners, reviews and live state. Exit 3 when the policy fails."""
    from crmconf.clock import today
    from crmconf.commands import audit as command

    root = resolve(workspace, legacy_root=legacy_root)
    return command.run(
        root,
        target=target,
        offline=offline,
        as_of=_day(as_of),
        fmt=fmt,
        out=out,
        today=today(),
        console=_console(),
        by_owner=by_owner,
        github_issues=github_issues,
        repository=repository,
    )


@click.command()
@click.argument("name")
@click.option("--by", "by", required=True, help="The e-mail of who reviewed it.")
@click.option("--on", "on", type=DATE, default=None, help="The review date (YYYY-MM-DD; default today).")
@click.option("--decision", type=click.Choice(["keep", "change", "retire"]), default="keep", show_default=True,
              help="What the review decided.")
@click.option("--note", default=None, help="A note kept with the review in reviews.yaml.")
@workspace_options(dir_alias=True)
def review(
    name: str,
    by: str,
    on: datetime | None,
    decision: str,
    note: str | None,
    workspace: Path | None,
    legacy_dir: Path | None,
) -> int:
    """Record that automation NAME was reviewed: set `reviewed:` and append to its history (reviews.yaml)."""
    from crmconf.clock import today
    from crmconf.commands import review as command

    root = resolve(workspace, legacy_dir=legacy_dir)
    return command.run(root, name=name, by=by, on=_day(on), note=note, today=today(), console=_console(),
                       decision=decision)


@click.command()
@workspace_options(positional=True)
@click.option("--out", type=DIR, required=True, help="The folder to write crm-handbook.md and .html into.")
def docs(workspace: Path | None, legacy_root: Path | None, out: Path) -> int:
    """Write the CRM handbook: terminology, a process map per pipeline, the automation inventory."""
    from crmconf.clock import today
    from crmconf.commands import docs as command

    root = resolve(workspace, legacy_root=legacy_root)
    return command.run(root, out=out, today=today(), console=_console())


commands = [audit, review, docs]
