"""The pull-request Action run end to end, step by step as a runner runs it (tests/council/composite.py),
against a real git repository, the local CRM and the loopback GitHub: one comment per workspace and target,
updated in place, replaced by the failure when validate or plan fails, and a crash is a red job."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.council.composite import Composite, Run, load
from tests.council.repo import CONFIG, SECTIONS, commit, git, make_repo, write
from tests.emulators.github import GitHubEmulator

REPO = "acme/crm"
PR = 12
TARGETS = {"sandbox": {"provider": "local", "settings": {"path": ".crmconf/sandbox.json"}},
           "prod": {"provider": "local", "settings": {"path": ".crmconf/prod.json"}}}


@pytest.fixture
def github() -> Iterator[GitHubEmulator]:
    with GitHubEmulator() as gh:
        gh.world.add_token("tok-action", "github-actions[bot]",
                           {"pull_requests:write", "statuses:write", "members:read"})
        gh.world.add_token("tok-devon", "devon", {"pull_requests:write"})
        yield gh


def pull_request(tmp: Path, gh: GitHubEmulator) -> tuple[Path, str]:
    ws = make_repo(tmp, {**CONFIG, "default_target": "sandbox", "targets": TARGETS})
    base = git(ws.parent, "rev-parse", "HEAD")
    git(ws.parent, "update-ref", "refs/remotes/origin/main", base)  # what actions/checkout fetch-depth 0 gives
    sections = {**SECTIONS, "terminology": [*SECTIONS["terminology"], {
        "term": "SQL", "definition": "A lead sales has accepted.", "owners": ["sales"]}]}
    write(ws, {**CONFIG, "default_target": "sandbox", "targets": TARGETS}, sections)
    head = commit(ws.parent, "a new term")
    gh.world.open_pull(REPO, PR, "author", head)
    return ws, head


def run_action(gh: GitHubEmulator, repo: Path, tmp: Path, *, target: str = "", path: str = "",
               **inputs: str) -> Run:
    action = Composite(load(), inputs={"workspace": "specs", "target": target, **inputs}, github={
        "action_path": str(Path(__file__).resolve().parents[2]), "token": "tok-action",
        "server_url": "https://github.com", "repository": REPO, "run_id": "42",
        "event": {"pull_request": {"number": PR, "base": {"ref": "main"}}},
    })
    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": gh.base_url, "CRMCONF_TODAY": "2026-11-23",
           "NO_COLOR": "1"}
    if path:
        env["PATH"] = f"{path}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    tmp.mkdir(exist_ok=True)
    return action.run(repo, tmp, env)


def comments(gh: GitHubEmulator) -> list[dict[str, Any]]:
    return [c for c in gh.world.repo(REPO).comments.values() if c["user"]["login"] != "devon"]


def test_the_action_plans_once_and_keeps_one_comment_per_target(tmp_path: Path, github: GitHubEmulator) -> None:
    ws, _ = pull_request(tmp_path, github)
    # A person quoting the marker keeps their comment: only a bot's comment is the action's.
    github.world.create_comment(github.world.repo(REPO), PR, "devon", {"body": "<!-- crmconf-plan: specs@default -->"})
    run = run_action(github, ws.parent, tmp_path / "run1")
    assert run.failed == [], {k: s.stderr for k, s in run.steps.items()}
    assert [k for k, s in run.steps.items() if s.outcome == "success"] == [
        "step0", "step1", "prep", "validate", "diff", "plan", "signoff", "comment"]
    assert run.steps["plan"].outputs["has_changes"] == "true"
    assert run.steps["signoff"].outputs == {"signed_off": "false"}  # sales and revops have not approved
    assert "SQL" in run.summary and "crmconf plan: `sandbox` (local)" in run.summary
    [first] = comments(github)
    assert first["body"].startswith("<!-- crmconf-plan: specs@default -->\n")
    assert "crmconf plan: `sandbox` (local)" in first["body"] and first["user"]["type"] == "Bot"

    run = run_action(github, ws.parent, tmp_path / "run2")  # a second push: the same comment, edited
    assert run.failed == [] and len(comments(github)) == 1
    assert len(github.world.repo(REPO).comments) == 2 and comments(github)[0]["id"] == first["id"]

    run = run_action(github, ws.parent, tmp_path / "run3", target="prod")  # another target: its own comment
    assert run.failed == []
    bodies = sorted(c["body"].splitlines()[0] for c in comments(github))
    assert bodies == ["<!-- crmconf-plan: specs@default -->", "<!-- crmconf-plan: specs@prod -->"]


def test_a_failed_validate_replaces_the_plan_in_the_comment(tmp_path: Path, github: GitHubEmulator) -> None:
    ws, _ = pull_request(tmp_path, github)
    assert run_action(github, ws.parent, tmp_path / "run1").failed == []
    (ws / "pipelines.yaml").write_text("pipelines:\n  - name: new_business\n    object: dael\n")
    commit(ws.parent, "a typo")
    run = run_action(github, ws.parent, tmp_path / "run2")
    assert run.failed == ["validate"]
    assert {k: s.outcome for k, s in run.steps.items()}["plan"] == "skipped"
    assert run.steps["comment"].outcome == "success"
    [comment] = comments(github)
    body = comment["body"]
    assert "crmconf validate failed for `specs@default`" in body and "pipelines.yaml:3" in body
    assert "crmconf plan: `sandbox`" not in body  # the stale plan is gone
    assert "https://github.com/acme/crm/actions/runs/42" in body


def test_a_crash_is_a_red_job_with_its_log_in_the_comment(tmp_path: Path, github: GitHubEmulator) -> None:
    ws, _ = pull_request(tmp_path, github)
    fake = tmp_path / "bin"
    fake.mkdir()
    real = Path(sys.executable).parent / "crmconf"
    (fake / "crmconf").write_text(  # `crmconf plan` crashes (exit 70); every other command is the real one
        f'#!/bin/bash\nif [ "$1" = plan ]; then echo "crmconf hit an internal error" >&2; exit 70; fi\n'
        f'exec "{real}" "$@"\n')
    (fake / "crmconf").chmod(0o755)
    run = run_action(github, ws.parent, tmp_path / "run", path=str(fake))
    assert run.failed == ["plan"] and run.steps["signoff"].outcome == "skipped"
    [comment] = comments(github)
    assert "crmconf plan failed" in comment["body"] and "internal error" in comment["body"]
