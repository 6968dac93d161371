"""`crmconf audit --by-owner --github-issues` against the loopback GitHub: one issue per owner with findings,
updated in place on the next run, closed once the owner has nothing left to review."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.commands.test_audit import AUTOMATIONS, org_path
from tests.conftest import CLI
from tests.emulators.github import GitHubEmulator

REPO = "acme/crm"


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubEmulator]:
    with GitHubEmulator() as gh:
        gh.world.add_token("tok-ci", "github-actions[bot]", {"issues:write"})
        gh.world.add_repo(REPO)
        monkeypatch.setenv("GITHUB_TOKEN", "tok-ci")
        monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
        monkeypatch.setenv("GITHUB_API_URL", gh.base_url)
        yield gh


def open_issues(gh: GitHubEmulator) -> dict[str, dict[str, object]]:
    return {str(i["title"]): i for i in gh.world.repo(REPO).issues.values() if i["state"] == "open"}


def test_audit_opens_updates_and_closes_one_issue_per_owner(cli: CLI, workspace: Path, github: GitHubEmulator) -> None:
    (workspace / "automations.yaml").write_text(AUTOMATIONS.replace("reviewed: 2026-08-30", "reviewed: 2026-05-01"))
    (workspace / "teams.yaml").write_text(
        "teams:\n  - {name: sales, members: [{email: maria@acme.example, github: mlopez}]}\n")
    assert cli("apply", "--dir", workspace, "--auto-approve").code == 0
    ran = cli("audit", workspace, "--offline", "--by-owner", "--github-issues")
    assert ran.code == 3, ran.err
    issues = open_issues(github)
    assert list(issues) == ["crmconf audit: maria@acme.example"]  # the only owner with a finding (overdue)
    body = str(issues["crmconf audit: maria@acme.example"]["body"])
    assert body.startswith("<!-- crmconf-audit owner=maria@acme.example -->") and "@mlopez" in body
    assert "soon_due" in body and issues["crmconf audit: maria@acme.example"]["labels"] == ["crmconf-audit"]

    assert cli("audit", workspace, "--offline", "--by-owner", "--github-issues").code == 3
    assert len(github.world.repo(REPO).issues) == 1  # updated in place, not opened twice

    assert cli("review", "soon_due", "--by", "maria@acme.example", "--dir", workspace).code == 0
    ran = cli("audit", workspace, "--offline", "--by-owner", "--github-issues")
    assert ran.code == 0 and "closed issue" in ran.err
    assert open_issues(github) == {}
    assert json.loads(org_path(workspace).read_text())  # the org was not touched by the audit


def test_a_token_that_cannot_write_issues_is_a_plain_error(cli: CLI, workspace: Path, github: GitHubEmulator,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    github.world.add_token("tok-read", "reader", {"pull_requests:read"})
    monkeypatch.setenv("GITHUB_TOKEN", "tok-read")
    (workspace / "automations.yaml").write_text(AUTOMATIONS.replace("reviewed: 2026-08-30", "reviewed: 2026-05-01"))
    ran = cli("audit", workspace, "--offline", "--by-owner", "--github-issues")
    assert ran.code == 1 and "403 Resource not accessible by integration" in ran.err
