"""The workspace as it was at a git revision: the base a pull request is compared with.

Read with `git archive` into a temporary folder and validated there like any workspace, so the base
side of a sign-off or a diff is exactly what was merged, whatever the working tree holds.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

from crmconf.errors import SpecError, UsageError
from crmconf.spec.workspace import load_workspace
from crmconf.validation import Validated


def git(args: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, timeout=60)
    except FileNotFoundError as exc:
        raise UsageError("this command needs git on the PATH") from exc
    if done.returncode != 0:
        raise UsageError(f"git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def _relative(root: Path) -> tuple[Path, str]:
    top = Path(git(["rev-parse", "--show-toplevel"], root).decode().strip())
    rel = root.resolve().relative_to(top.resolve()).as_posix()
    return top, rel


def workspace_at(root: Path, rev: str) -> Validated | None:
    """The workspace `root` as of `rev`, validated; None when it did not exist then."""
    top, rel = _relative(root)
    git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], root)
    listing = git(["ls-tree", "-r", "--name-only", rev, "--", rel], top)
    if not listing.strip():
        return None
    archive = git(["archive", "--format=tar", rev, "--", rel], top)
    with tempfile.TemporaryDirectory(prefix="crmconf-base-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        ws = load_workspace(Path(tmp) / rel)
    if ws.spec is None:
        error = SpecError([d for d in ws.diagnostics if d.is_error])
        error.sources = ws.sources  # type: ignore[attr-defined]
        raise error
    # The base was merged: its content counts even where today's checks would say more (a base written
    # before `teams` existed names owners no section declares).
    return Validated(root, ws.spec, ws.sources, (), ws.digest)


def tree_of(root: Path, rev: str) -> str | None:
    """The git tree id of the workspace folder at `rev` (equal trees: the same spec), None if unknown."""
    try:
        top, rel = _relative(root)
        spec = f"{rev}:{rel}" if rel != "." else f"{rev}^{{tree}}"
        return git(["rev-parse", "--verify", "--quiet", spec], top).decode().strip() or None
    except UsageError:
        return None  # a commit this clone does not have (a force-push dropped it): nothing to compare


def prefix_in_repository(root: Path) -> str | None:
    """The workspace's path inside its git repository ('' at the top), None outside a repository."""
    try:
        return _relative(root)[1].removeprefix(".")
    except (UsageError, ValueError):
        return None
