"""`crmconf schema [--kind config|spec] [--out DIR]`: print or write the JSON Schema."""

from __future__ import annotations

from pathlib import Path

from crmconf import files
from crmconf.spec.schema import ALL, schema_text
from crmconf.ui import Console


def run(kind: str, out: Path | None, console: Console) -> int:
    if out is None:
        console.out(schema_text(kind).rstrip("\n"))
        return 0
    files.make_dir(out)
    for name in ALL:
        path = out / f"{name}.schema.json"
        files.write_text(path, schema_text(name))
        console.err(f"wrote {path}")
    return 0
