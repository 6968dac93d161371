"""The first line of every spec file crmconf writes: where an editor finds the JSON Schema.

yaml-language-server reads `# yaml-language-server: $schema=PATH`, a path relative to the file. crmconf
ships its schemas (`crmconf schema`, generated from the models) and `crmconf init` writes them into the
workspace's `.schema/` folder, committed with it, so every teammate's editor resolves them without a
network or an install. A workspace kept beside a `schema/` folder (this repository's `specs/`) uses that.
"""

from __future__ import annotations

import os
from pathlib import Path

from crmconf import files
from crmconf.spec.schema import KINDS, schema_text

SCHEMA_DIR = ".schema"


def schema_path(root: Path, kind: str) -> Path:
    """The schema file the workspace's modelines point at: its own `.schema/`, else a `schema/` beside it."""
    own = root / SCHEMA_DIR / f"{kind}.schema.json"
    beside = root.resolve().parent / "schema" / f"{kind}.schema.json"
    return beside if not own.exists() and beside.exists() else own


def modeline(kind: str, path: Path, root: Path) -> str:
    """`# yaml-language-server: $schema=...` for a file at `path` of the workspace `root`."""
    where = os.path.relpath(schema_path(root, kind).resolve(), path.resolve().parent)
    return f"# yaml-language-server: $schema={Path(where).as_posix()}\n"


def write_schemas(root: Path) -> list[Path]:
    """Both schemas into `root/.schema/`, as this crmconf generates them."""
    folder = root / SCHEMA_DIR
    files.make_dir(folder)
    written = []
    for kind in KINDS:
        path = folder / f"{kind}.schema.json"
        files.write_text(path, schema_text(kind), root=root)
        written.append(path)
    return written
