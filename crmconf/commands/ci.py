"""`crmconf ci ...`: the pieces of the GitHub Action that are code, so they are tested like code.

`ci comment` keeps the sticky pull-request comment of one workspace and target up to date, with the plan
or with the failure; `ci fit` cuts a report to GitHub's body limit with a link to the whole of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from crmconf.council import comment
from crmconf.council.github import GitHubClient, Settings
from crmconf.errors import UsageError
from crmconf.ui import Console


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def failures(pairs: Sequence[str]) -> list[comment.Failure]:
    """`STEP=LOGFILE` pairs (a missing log file is an empty log: the step died before writing it)."""
    found = []
    for pair in pairs:
        step, sep, log = pair.partition("=")
        if not sep or not step:
            raise UsageError(f"--failed takes STEP=LOGFILE, not {pair!r}")
        found.append(comment.Failure(step, _read(Path(log)) if log else ""))
    return found


def run_comment(
    number: int, key: str, plan: Path | None, failed: Sequence[str], run_url: str, console: Console
) -> int:
    text = comment.body(key, _read(plan) if plan else "", failures(failed), run_url=run_url)
    client = GitHubClient(Settings.from_environment(None))
    try:
        url = comment.post(client, number, key, text)
    finally:
        client.close()
    console.err(f"the plan comment for {key}: {url}")
    return 0


def run_fit(path: Path, limit: int, link: str, what: str, console: Console) -> int:
    console.out(comment.fit(_read(path), limit=limit, link=link, what=what).rstrip("\n"))
    return 0
