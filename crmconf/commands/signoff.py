"""`crmconf signoff --base REV`: the teams a change needs; with `--pull-request N`, whether they approved.

Exit 0 when nothing is missing (or when only listing), 4 while a required sign-off is missing. With
`--post-status` the verdict also becomes the `crmconf/sign-off` commit status on the pull request's head,
the check branch protection requires (docs/ci.md).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from crmconf.commands import plan as plan_command
from crmconf.council import gitrev
from crmconf.council.approvals import Directory, Outcome, State, evaluate
from crmconf.council.github import GitHubClient, Settings
from crmconf.council.signoff import Signoff, compute
from crmconf.engine.changes import Plan
from crmconf.engine.plan import load_plan
from crmconf.errors import UsageError
from crmconf.render import signoff as render
from crmconf.ui import Console
from crmconf.validation import Validated, require_valid

EXIT_MISSING = 4
CONTEXT = "crmconf/sign-off"
STATUS = {State.APPROVED: "success", State.WAITING: "pending", State.CHANGES_REQUESTED: "failure",
          State.NOBODY: "failure"}


@dataclass(frozen=True)
class Options:
    base: str
    plan_file: Path | None = None
    target: str | None = None
    fmt: str = "text"
    pull_request: int | None = None
    repository: str | None = None
    post_status: bool = False
    context: str = CONTEXT


def run(root: Path, options: Options, *, today: date, console: Console) -> int:
    if options.plan_file is not None and options.target is not None:
        raise UsageError("--plan and --target both say which plan to use; give one")
    if options.post_status and options.pull_request is None:
        raise UsageError("--post-status needs --pull-request N")
    head = require_valid(root, today)
    base = gitrev.workspace_at(root, options.base)
    plan = _plan(root, options, today)
    signoff = compute(base, head, base_name=options.base, plan=plan)
    outcome = None
    if options.pull_request is not None:
        outcome = _check(root, base, head, signoff, options)
    console.out({"json": render.as_json, "markdown": render.markdown}.get(options.fmt, render.text)(signoff, outcome))
    if outcome is not None and not outcome.passed:
        return EXIT_MISSING
    return 0


def _plan(root: Path, options: Options, today: date) -> Plan | None:
    if options.plan_file is not None:
        return load_plan(options.plan_file, root=root)
    if options.target is not None:
        return plan_command.build(root, options.target, today)
    return None


def _check(root: Path, base: Validated | None, head: Validated, signoff: Signoff, options: Options) -> Outcome:
    assert options.pull_request is not None
    client = GitHubClient(Settings.from_environment(options.repository))
    try:
        pull = client.pull_request(options.pull_request)
        reviews = client.reviews(options.pull_request)
        directory = Directory.build(base.spec if base else None, head.spec)
        parties = [r.party for r in signoff.requirements] + ([directory.council] if directory.council else [])
        slugs = sorted({slug for party in parties for slug in directory.github_teams(party)})
        members = {slug: client.team_members(slug) for slug in slugs}
        tree = functools.lru_cache(maxsize=None)(lambda rev: gitrev.tree_of(root, rev))
        head_tree = tree(pull.head_sha)

        def current(commit: str) -> bool:
            # An approval stands while the workspace it approved is the one merging now.
            return commit == pull.head_sha or (head_tree is not None and tree(commit) == head_tree)

        outcome = evaluate(signoff, directory, reviews, team_members=members, author=pull.author, current=current)
        if options.post_status:
            client.post_status(pull.head_sha, state=STATUS[outcome.state], description=outcome.summary(),
                               context=options.context, target_url=_run_url())
        return outcome
    finally:
        client.close()


def _run_url() -> str:
    """The Actions run that decided, so the check links to its log (empty outside Actions)."""
    server, repo, run_id = (os.environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f"{server}/{repo}/actions/runs/{run_id}" if server and repo and run_id else ""
