"""`crmconf diff --base GITREV [DIR]`: what a pull request changes in the spec, with no vendor access.

Both sides are compiled to crmconf's neutral vocabulary and compared with the same diff as plan,
the base playing the part of the live CRM; everything the head drops shows as a deletion.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from datetime import date
from pathlib import Path

from crmconf.commands.plan import show
from crmconf.engine.changes import Plan
from crmconf.engine.diff import diff
from crmconf.engine.native import compile_spec
from crmconf.engine.resource import LiveObject, Resource, Snapshot
from crmconf.errors import UsageError
from crmconf.spec.model import KINDS
from crmconf.ui import Console
from crmconf.validation import require_valid


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, timeout=60)
    except FileNotFoundError as exc:
        raise UsageError("`crmconf diff` needs git on the PATH") from exc
    if done.returncode != 0:
        raise UsageError(f"git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def _base_resources(root: Path, rev: str, today: date) -> list[Resource]:
    top = Path(_git(["rev-parse", "--show-toplevel"], root).decode().strip())
    rel = root.resolve().relative_to(top.resolve()).as_posix()
    _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], root)
    listing = _git(["ls-tree", "-r", "--name-only", rev, "--", rel if rel != "." else "."], top)
    if not listing.strip():
        return []  # the workspace did not exist at the base: everything is new
    archive = _git(["archive", "--format=tar", rev, "--", rel if rel != "." else "."], top)
    with tempfile.TemporaryDirectory(prefix="crmconf-base-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        base_root = Path(tmp) / rel
        ws = require_valid(base_root, today)
        return compile_spec(ws.spec, ws.sources)


def as_snapshot(resources: list[Resource]) -> Snapshot:
    objects = {
        r.address: LiveObject(r.address, r.kind, r.attrs, parent=r.parent, label=r.label) for r in resources
    }
    return Snapshot(objects, frozenset(KINDS))


def run(root: Path, *, base: str, fmt: str, detailed: bool, today: date, console: Console) -> int:
    head = require_valid(root, today)
    head_resources = compile_spec(head.spec, head.sources)
    result = diff(head_resources, as_snapshot(_base_resources(root, base, today)), prune=frozenset(KINDS))
    plan = Plan(
        target=f"spec@{base}",
        provider="spec",
        changes=result.changes,
        diagnostics=head.diagnostics,
        spec_digest=head.digest,
    )
    show(plan, fmt, console)
    return 2 if detailed and plan.has_changes else 0
