"""`crmconf init [DIR]`: a small starter workspace that validates as it is."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

from crmconf import files
from crmconf.errors import UsageError
from crmconf.spec.modeline import SCHEMA_DIR, write_schemas
from crmconf.ui import Console


def run(root: Path, *, today: date, force: bool, console: Console) -> int:
    templates = resources.files("crmconf.templates").joinpath("init")
    names = sorted(t.name for t in templates.iterdir() if t.name.endswith(".yaml"))
    clashes = [n for n in names if (root / n).exists()]
    if clashes and not force:
        raise UsageError(
            f"{root} already has {', '.join(clashes)}; nothing was written (use --force to overwrite)"
        )
    files.make_dir(root)
    for name in names:
        text = templates.joinpath(name).read_text(encoding="utf-8").replace("{{today}}", today.isoformat())
        files.write_text(root / name, text, root=root)
    write_schemas(root)  # the files' modelines point here: editors explain every key, offline
    ignored = _ignore(root)
    console.err(f"created a starter workspace in {root} ({len(names)} files, the JSON Schemas in {SCHEMA_DIR}/, "
                f"{ignored}); next: crmconf validate -w {root}")
    return 0


IGNORE = """\
# crmconf's local state: the embedded local CRM, the apply journal, crash logs. Never commit it.
.crmconf/
# Saved plans (crmconf plan --out) are tickets for one apply, stale once anything moves.
*.plan.json
"""


def _ignore(root: Path) -> str:
    """A .gitignore for what crmconf writes that is not spec; an existing one gains the lines it lacks."""
    path = root / ".gitignore"
    if not path.exists():
        files.write_text(path, IGNORE, root=root)
        return "a .gitignore"
    have = path.read_text(encoding="utf-8")
    missing = [line for line in IGNORE.splitlines() if line and not line.startswith("#")
               and line not in have.splitlines()]
    if not missing:
        return "the .gitignore already ignores crmconf's state"
    files.write_text(path, have.rstrip("\n") + "\n\n" + IGNORE, root=root)
    return "crmconf's lines added to the .gitignore"
