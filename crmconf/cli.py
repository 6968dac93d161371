"""The thin click layer: parse options, call one command function, map every error to an exit code."""

from __future__ import annotations

import io
import logging
import os
import sys
import tempfile
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from crmconf import __version__, files, logs, redact
from crmconf.commands.options import resolve, workspace_options
from crmconf.errors import CrmconfError, SpecError
from crmconf.render import diagnostics as render_diagnostics
from crmconf.ui import Console

EXIT_BUG = 70  # EX_SOFTWARE: an internal error, distinct from every user-facing code
EXIT_INTERRUPTED = 130

DIR = click.Path(file_okay=False, path_type=Path)


def _console(ctx: click.Context) -> Console:
    obj = ctx.find_root().obj
    assert isinstance(obj, Console)
    return obj


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="crmconf")
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour output (auto honours NO_COLOR and FORCE_COLOR).",
)
@click.option("--verbose", "-v", count=True,
              help="-v: every vendor request (method, path, status, time) and retry; -vv: all debug logs "
                   "(also CRMCONF_LOG=info|debug|logger=level,...). Secrets are masked.")
@click.pass_context
def cli(ctx: click.Context, color: str, verbose: int) -> None:
    """crmconf: CRM configuration as code. Validate, plan and apply CRM strategy kept in YAML."""
    ctx.obj = Console.create(color)
    logs.configure(verbose, os.environ)


@cli.command()
@workspace_options(positional=True)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True
)
@click.option("--strict", is_flag=True, help="Warnings fail validation too.")
@click.pass_context
def validate(
    ctx: click.Context, workspace: Path | None, legacy_root: Path | None, fmt: str, strict: bool
) -> int:
    """Check a workspace: schema, references, terminology and inventory policy."""
    from crmconf.clock import today
    from crmconf.commands import validate as command

    root = resolve(workspace, legacy_root=legacy_root)
    return command.run(root, fmt=fmt, strict=strict, today=today(), console=_console(ctx))


@cli.command()
@click.option(
    "--kind",
    type=click.Choice(["config", "spec", "plan", "plan-json", "journal"]),
    default="spec",
    show_default=True,
    help="config: crmconf.yaml; spec: the section files; plan: a saved plan; plan-json: plan --format json; "
    "journal: a line of .crmconf/journal.jsonl.",
)
@click.option(
    "--out", type=DIR, default=None, help="Write both schemas into this folder instead of printing."
)
@click.pass_context
def schema(ctx: click.Context, kind: str, out: Path | None) -> int:
    """Print the JSON Schema of the spec language (for editors and CI)."""
    from crmconf.commands import schema as command

    return command.run(kind, out, _console(ctx))


@cli.command()
@workspace_options(positional=True)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.pass_context
def init(ctx: click.Context, workspace: Path | None, legacy_root: Path | None, force: bool) -> int:
    """Create a starter workspace that validates."""
    from crmconf.clock import today
    from crmconf.commands import init as command

    root = resolve(workspace, legacy_root=legacy_root)
    return command.run(root, today=today(), force=force, console=_console(ctx))


TARGET = click.option(
    "--target", "-t", default=None, help="A target from crmconf.yaml (default: default_target)."
)
PLAN_FORMAT = click.Choice(["text", "json", "markdown"])


@cli.command()
@workspace_options(positional=True)
@TARGET
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Save the plan as JSON."
)
@click.option("--format", "fmt", type=PLAN_FORMAT, default="text", show_default=True)
@click.option("--detailed-exitcode", "detailed", is_flag=True, help="Exit 0 no changes, 1 error, 2 changes.")
@click.pass_context
def plan(
    ctx: click.Context,
    workspace: Path | None,
    legacy_root: Path | None,
    target: str | None,
    out: Path | None,
    fmt: str,
    detailed: bool,
) -> int:
    """Show what would change in the CRM, and why."""
    from crmconf.clock import today
    from crmconf.commands import plan as command

    root = resolve(workspace, legacy_root=legacy_root)
    return command.run(
        root, target=target, out=out, fmt=fmt, detailed=detailed, today=today(), console=_console(ctx)
    )


@cli.command()
@click.argument("planfile", type=click.Path(exists=True, path_type=Path), required=False)
@workspace_options(dir_alias=True)
@TARGET
@click.option("--auto-approve", is_flag=True, help="Do not ask for approval.")
@click.option("--allow-destroy", is_flag=True, help="Allow deletions and other destructive changes.")
@click.pass_context
def apply(
    ctx: click.Context,
    planfile: Path | None,
    workspace: Path | None,
    legacy_dir: Path | None,
    target: str | None,
    auto_approve: bool,
    allow_destroy: bool,
) -> int:
    """Apply the spec (or exactly a saved PLANFILE, found from anywhere) to the CRM."""
    from crmconf.clock import today
    from crmconf.commands import apply as command

    legacy_root = None
    if planfile is not None and planfile.is_dir():  # the old `apply WORKSPACE`, or a mistake
        if not any((planfile / n).is_file() for n in ("crmconf.yaml", "crmconf.yml")):
            raise click.BadParameter(f"File {str(planfile)!r} is a directory.", param_hint="'PLANFILE'")
        legacy_root, planfile = planfile, None
    given = workspace or legacy_root or legacy_dir
    root = resolve(workspace, legacy_root=legacy_root, legacy_dir=legacy_dir) if given else None
    return command.run(
        root,
        planfile=planfile,
        target=target,
        auto_approve=auto_approve,
        allow_destroy=allow_destroy,
        today=today(),
        console=_console(ctx),
    )


@cli.command()
@workspace_options(positional=True)
@TARGET
@click.option("--format", "fmt", type=PLAN_FORMAT, default="text", show_default=True)
@click.pass_context
def drift(
    ctx: click.Context, workspace: Path | None, legacy_root: Path | None, target: str | None, fmt: str
) -> int:
    """Exit 2 when the live CRM differs from the spec: changes, unmanaged objects not accepted, open
    manual steps."""
    from crmconf.clock import today
    from crmconf.commands import drift as command

    root = resolve(workspace, legacy_root=legacy_root)
    return command.run(root, target=target, fmt=fmt, today=today(), console=_console(ctx))


@cli.command("diff")
@workspace_options(positional=True)
@click.option("--base", required=True, help="A git revision to compare the working tree with.")
@click.option("--format", "fmt", type=PLAN_FORMAT, default="text", show_default=True)
@click.option("--detailed-exitcode", "detailed", is_flag=True, help="Exit 2 when the spec changed.")
@click.pass_context
def spec_diff(
    ctx: click.Context, workspace: Path | None, legacy_root: Path | None, base: str, fmt: str, detailed: bool
) -> int:
    """Semantic diff of the spec between a git revision and the working tree (no vendor access)."""
    from crmconf.clock import today
    from crmconf.commands import spec_diff as command

    root = resolve(workspace, legacy_root=legacy_root)
    return command.run(root, base=base, fmt=fmt, detailed=detailed, today=today(), console=_console(ctx))


@cli.command()
@workspace_options(positional=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--target", "-t", default=None, help="Report what this target's credentials may do for the spec.")
@click.pass_context
def providers(
    ctx: click.Context, workspace: Path | None, legacy_root: Path | None, fmt: str, target: str | None
) -> int:
    """List installed provider plugins and their capability matrix (or, with --target, a target's access)."""
    from crmconf.commands import providers as command

    if target is not None:
        from crmconf.clock import today

        root = resolve(workspace, legacy_root=legacy_root)
        return command.run_access(root, target, fmt, today(), _console(ctx))
    return command.run(fmt, _console(ctx))


def _register_extensions() -> None:
    """Commands defined beside their own modules (each exposes a `commands` list of click commands)."""
    import importlib

    for name in (
        "crmconf.commands.governance_cli",
        "crmconf.commands.health_cli",
        "crmconf.commands.import_cli",
        "crmconf.commands.tracking_cli",
        "crmconf.commands.council_cli",
        "crmconf.commands.lock_cli",
        "crmconf.commands.ci_cli",
    ):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        for command in module.commands:
            cli.add_command(command)


_register_extensions()


def main(argv: list[str] | None = None) -> None:
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    redact.forget()  # each run learns its own secrets: from the environment now, from targets when opened
    redact.register_environment()
    console = Console.create("never" if os.environ.get("NO_COLOR") else "auto")
    _route_logging(console)
    try:
        result = cli.main(args=argv, prog_name="crmconf", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        console.err("interrupted; if an apply was running, the next `crmconf plan` re-reads what it had in flight "
                    "and records it in the journal")
        return EXIT_INTERRUPTED
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        shown = io.StringIO()
        exc.show(file=shown)
        console.err(shown.getvalue().rstrip("\n"))
        return 1
    except SpecError as exc:
        return _report_spec_error(exc, console)
    except CrmconfError as exc:
        console.err(f"error {exc.code}: {exc}")
        return exc.exit_code
    except UnicodeEncodeError as exc:
        if not _holds_secret(exc):
            return _report_bug(console)
        console.err("error E001: a credential holds characters that cannot be sent to the vendor (an HTTP header "
                    "takes Latin-1 text only): check the value exported for the target's *_env settings")
        return 1
    except OSError as exc:  # the user's environment (a missing folder, a full disk), never a crmconf bug
        where = f" ({exc.filename})" if exc.filename else ""
        console.err(f"error E002: {files.why(exc)}{where}")
        return 1
    except Exception:  # the one place a bug is caught: log it, say so plainly, exit distinctly
        return _report_bug(console)
    return result if isinstance(result, int) else 0


def _holds_secret(exc: UnicodeEncodeError) -> bool:
    text = exc.object if isinstance(exc.object, str) else ""
    return redact.mask(text) != text


class _ConsoleHandler(logging.Handler):
    """Log records (from crmconf or a vendor client) reach stderr masked, like every other message."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.NOTSET)  # what shows is set on the loggers (crmconf.logs: warnings, or -v)
        self.console = console
        self.addFilter(logs.Shown())
        self.addFilter(redact.MaskingFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.console.err(f"{record.levelname.lower()}: {record.name}: {self.format(record)}")


def _route_logging(console: Console) -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _ConsoleHandler)]:
        root.removeHandler(handler)
    root.addHandler(_ConsoleHandler(console))
    logs.configure(0, {})  # a run shows warnings only until its options say more


def _report_spec_error(exc: SpecError, console: Console) -> int:
    sources = getattr(exc, "sources", None)

    def line_of(d: Any) -> str:
        return sources.line(d.location) if sources is not None and d.location else ""

    console.err(render_diagnostics.text(exc.diagnostics, line_of, color=console.color))
    console.err(
        f"error {exc.code}: the workspace is invalid ({len(exc.diagnostics)} error(s)); run `crmconf validate`"
    )
    return exc.exit_code


def _report_bug(console: Console) -> int:
    """The details go to a log only the user can read (0600, created anew), with every secret masked."""
    details = redact.mask(f"crmconf {__version__}\nargv: {sys.argv}\n\n{traceback.format_exc()}")
    try:
        fd, name = tempfile.mkstemp(prefix=f"crmconf-crash-{datetime.now():%Y%m%d-%H%M%S}-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(details)
        where = f"details are in {name}"
    except OSError:
        where = "the details could not be written to a log file"
    console.err(f"crmconf hit an internal error (this is a bug, not your input); {where}")
    return EXIT_BUG
