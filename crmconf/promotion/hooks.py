"""What apply does for promotion: refuse a spec the previous target has not run verified; record releases."""

from __future__ import annotations

import getpass
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from crmconf.errors import CrmconfError, UsageError
from crmconf.promotion import gate, releases
from crmconf.promotion.store import store_of
from crmconf.providers import Provider, opened
from crmconf.spec.model import parse_duration
from crmconf.ui import Console
from crmconf.validation import Validated


class PromotionRefused(UsageError):
    code = "E040"


def commit_of(root: Path) -> str:
    """The workspace's git commit, `+dirty` when its folder has uncommitted changes; "" outside git."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    try:
        head = git("rev-parse", "HEAD")
        dirty = bool(head) and bool(git("status", "--porcelain", "--", ".", ":(exclude).crmconf"))  # state, not spec
    except (OSError, subprocess.SubprocessError):
        return ""
    return head + ("+dirty" if dirty else "")


def who() -> str:
    actor = os.environ.get("GITHUB_ACTOR")
    if actor:
        return f"{actor} (GitHub Actions)"
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def require_promotable(ws: Validated, root: Path, target: str) -> None:
    order = ws.spec.config.promotion
    previous = gate.previous_of(order, target)
    if previous is None:
        return
    try:
        with opened(ws.spec, ws.sources, root, previous) as (_, provider):
            log = releases.read(store_of(provider, root, previous))
    except CrmconfError as exc:
        raise PromotionRefused(
            f"{target} comes after {previous} in the promotion order, and what {previous} runs cannot be read "
            f"({exc}); nothing was applied"
        ) from exc
    soak = ws.spec.config.policies.promotion_soak
    verdict = gate.decide(order, target, ws.digest, commit_of(root), log, now=datetime.now(UTC),
                          soak=parse_duration(soak) if soak else None)
    if not verdict.allowed:
        raise PromotionRefused(f"{verdict.reason}; nothing was applied")


def record(ws: Validated, root: Path, target: str, provider: Provider, *, verified: bool, changes: int,
           console: Console) -> None:
    """Append this run to the target's release log; a failure to record is said, never fatal to the apply."""
    store = store_of(provider, root, target)
    entry = releases.Release(ws.digest, commit_of(root), datetime.now(UTC).isoformat(timespec="seconds"), who(),
                             verified, changes)
    try:
        releases.append(store, entry)
    except CrmconfError as exc:
        console.err(f"warning: the release could not be recorded in {store.location} ({exc})")
        return
    state = "verified" if verified else "NOT verified"
    console.err(f"Release: spec {ws.digest[:12]}" + (f" (commit {entry.commit[:12]})" if entry.commit else "")
                + f" on {target}, {state}; recorded in {store.location}.")
