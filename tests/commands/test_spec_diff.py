"""`crmconf diff --base`: a semantic spec-vs-spec diff from git, with no vendor access."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLI


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, cli: CLI) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@example.com")
    git(root, "config", "user.name", "t")
    (root / "README").write_text("x\n")
    git(root, "add", ".")
    git(root, "commit", "-qm", "empty")
    assert cli("init", root / "crm").code == 0
    git(root, "add", ".")
    git(root, "commit", "-qm", "workspace")
    return root


def test_diff_shows_what_the_branch_changes(cli: CLI, repo: Path) -> None:
    ws = repo / "crm"
    pipelines = ws / "pipelines.yaml"
    pipelines.write_text(pipelines.read_text().replace("probability: 60", "probability: 70"))
    (ws / "permissions.yaml").unlink()
    ran = cli("diff", ws, "--base", "HEAD", "--detailed-exitcode", "--format", "json")
    assert ran.code == 2
    changes = {c["address"]: c for c in json.loads(ran.out)["changes"]}
    assert set(changes) == {"pipeline.new_business.stage.proposal", "permission.sales_rep"}
    assert changes["pipeline.new_business.stage.proposal"]["before"]["probability"] == 60
    assert changes["permission.sales_rep"]["actions"] == ["delete"]


def test_no_change_and_a_base_without_the_workspace(cli: CLI, repo: Path) -> None:
    ws = repo / "crm"
    assert cli("diff", ws, "--base", "HEAD", "--detailed-exitcode").code == 0
    everything = cli("diff", ws, "--base", "HEAD~1")
    assert everything.code == 0 and "Plan: 10 to add, 0 to change, 0 to destroy." in everything.out


def test_bad_revision_is_a_plain_error(cli: CLI, repo: Path) -> None:
    ran = cli("diff", repo / "crm", "--base", "no-such-branch")
    assert ran.code == 1 and "git" in ran.err
