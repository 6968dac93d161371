"""`crmconf review NAME --by EMAIL`: set `reviewed:` in the automation's YAML and append to its history.

The history (`reviews:` in reviews.yaml beside the automation's file: by, on, decision, note) is kept in
git with the spec, not in a local log: the next reviewer, the audit and the pull request all read it.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from datetime import date
from pathlib import Path, PurePosixPath

from pydantic import ValidationError

from crmconf import address as addr
from crmconf.errors import SpecError, UsageError
from crmconf.spec.checks.inventory import EMAIL, next_review
from crmconf.spec.edit import EditError, set_date
from crmconf.spec.history import FILE, append
from crmconf.spec.model import Automation, Policies, ReviewRecord
from crmconf.spec.text import name_problem
from crmconf.spec.workspace import Sources, load_workspace
from crmconf.ui import Console


def run(
    root: Path,
    *,
    name: str,
    by: str,
    on: date | None,
    note: str | None,
    today: date,
    console: Console,
    decision: str = "keep",
) -> int:
    if not EMAIL.match(by) or name_problem(by):
        raise UsageError(
            f"--by {by!r} is not an e-mail address; say who reviewed it, e.g. --by maria@acme.example"
        )
    day = on or today
    if day > today:
        raise UsageError(
            f"--on {day} is in the future (today is {today}); record a review once it has happened"
        )
    policies, automation, file, path, history = _find(root, name)
    try:
        record = ReviewRecord(automation=name, by=by, on=day, decision=decision, note=note)
    except ValidationError as exc:
        raise UsageError(f"the review cannot be recorded: {exc.errors()[0]['msg']}") from exc
    target = root / file
    try:
        raw = target.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {target}: {exc}") from exc
    try:
        edit = set_date(text, path, "reviewed", day, after=("owner", "name"))
    except EditError as exc:
        raise UsageError(f"{file}: cannot record the review of {name}: {exc}") from exc
    history_file, history_line = append(root, history, record)  # first: a refused append edits nothing
    if edit.text != text:
        _write_atomically(target, edit.text.encode("utf-8"))
    if automation.reviewed is not None and day < automation.reviewed:
        console.err(f"note: {day} is earlier than the review already recorded ({automation.reviewed})")
    due = next_review(automation.model_copy(update={"reviewed": day}), policies)
    action = "added" if edit.inserted else "set"
    console.err(
        f"{file}:{edit.line}: {action} reviewed: {day} for {name} (by {by})"
        + (f"; next review due {due}" if due else "")
    )
    console.err(f"{history_file}:{history_line}: recorded the review ({decision})")
    return 0


def _find(root: Path, name: str) -> tuple[Policies, Automation, str, tuple[str | int, ...], str]:
    workspace = load_workspace(root)
    errors = [d for d in workspace.diagnostics if d.is_error]
    if workspace.spec is None or errors:
        exc = SpecError(errors)
        exc.sources = workspace.sources  # type: ignore[attr-defined]
        raise exc
    found = next((a for a in workspace.spec.automations if a.name == name), None)
    if found is None:
        names = [a.name for a in workspace.spec.automations]
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        hint = (
            f"; did you mean {close[0]!r}?"
            if close
            else f"; automations: {', '.join(names[:10])}"
            if names
            else ""
        )
        raise UsageError(f"no automation named {name!r} in {root}{hint}")
    file, path = workspace.sources.origins[addr.automation(name)]
    return workspace.spec.config.policies, found, file, path, _history_file(workspace.sources, file)


def _history_file(sources: Sources, automation_file: str) -> str:
    """The reviews.yaml beside the automation's file; an existing `reviews` section in that folder wins."""
    folder = PurePosixPath(automation_file).parent
    existing = sorted(
        {f for a, (f, _) in sources.origins.items() if a.startswith("review.") and PurePosixPath(f).parent == folder}
    )
    return existing[0] if existing else (folder / FILE).as_posix()


def _write_atomically(path: Path, data: bytes) -> None:
    """Temp file then rename, keeping the file's mode: a crash leaves the old file or the new one."""
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
