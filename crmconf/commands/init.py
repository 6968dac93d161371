"""`crmconf init [DIR]`: a small starter workspace that validates as it is."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

from crmconf import files
from crmconf.errors import UsageError
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
    console.err(f"created a starter workspace in {root} ({len(names)} files); next: crmconf validate {root}")
    return 0
