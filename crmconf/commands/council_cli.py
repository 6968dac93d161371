"""The click layer of the council commands: signoff, codeowners (registered by crmconf.cli)."""

from __future__ import annotations

from pathlib import Path

import click

from crmconf.commands.options import resolve, workspace_options
from crmconf.ui import Console

FILE = click.Path(dir_okay=False, path_type=Path)


def _console() -> Console:
    obj = click.get_current_context().find_root().obj
    assert isinstance(obj, Console)
    return obj


@click.command()
@workspace_options(positional=True)
@click.option("--base", required=True, help="The git revision the change is compared with (the PR's base).")
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="A saved plan (crmconf plan --out): its changes need their owners too.")
@click.option("--target", "-t", default=None, help="Plan against this target and count its changes too.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True)
@click.option("--pull-request", "pull_request", type=click.IntRange(min=1), default=None,
              help="Check the approvals of this pull request on GitHub (GITHUB_TOKEN, GITHUB_REPOSITORY).")
@click.option("--repository", default=None, help="OWNER/NAME (default: GITHUB_REPOSITORY).")
@click.option("--post-status", is_flag=True, help="Post the verdict as a commit status on the PR's head.")
@click.option("--context", default="crmconf/sign-off", show_default=True, help="The commit status's name.")
def signoff(
    workspace: Path | None,
    legacy_root: Path | None,
    base: str,
    plan_file: Path | None,
    target: str | None,
    fmt: str,
    pull_request: int | None,
    repository: str | None,
    post_status: bool,
    context: str,
) -> int:
    """Who must sign off the change since BASE; with --pull-request, whether they have (exit 4 if not)."""
    from crmconf.clock import today
    from crmconf.commands import signoff as command

    options = command.Options(base, plan_file, target, fmt, pull_request, repository, post_status, context)
    return command.run(resolve(workspace, legacy_root=legacy_root), options, today=today(), console=_console())


@click.command()
@workspace_options(positional=True)
@click.option("--out", type=FILE, default=None, help="Write the file (e.g. .github/CODEOWNERS).")
@click.option("--check", type=FILE, default=None, help="Exit 1 unless this file is what would be written.")
@click.option("--prefix", default=None, help="The workspace's path in the repository (default: asked of git).")
def codeowners(
    workspace: Path | None, legacy_root: Path | None, out: Path | None, check: Path | None, prefix: str | None
) -> int:
    """CODEOWNERS for a workspace laid out one team per file (GitHub's native review rule)."""
    from crmconf.clock import today
    from crmconf.commands import codeowners as command

    root = resolve(workspace, legacy_root=legacy_root)
    return command.run(root, out=out, check=check, prefix=prefix, today=today(), console=_console())


@click.command()
@workspace_options(positional=True)
@click.option("--target", "-t", "targets", multiple=True, help="Only these targets (default: all, in promotion order).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def status(workspace: Path | None, legacy_root: Path | None, targets: tuple[str, ...], fmt: str) -> int:
    """Which spec (and commit) runs on which target, verified or not, read from each target."""
    from crmconf.clock import today
    from crmconf.commands import status as command

    root = resolve(workspace, legacy_root=legacy_root)
    return command.run(root, targets=targets, fmt=fmt, today=today(), console=_console())


commands = [signoff, codeowners, status]
