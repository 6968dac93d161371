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
    # 10 spec items, and crmconf.yaml's default target, target and policies
    assert everything.code == 0 and "Plan: 13 to add, 0 to change, 0 to destroy." in everything.out


def test_bad_revision_is_a_plain_error(cli: CLI, repo: Path) -> None:
    ran = cli("diff", repo / "crm", "--base", "no-such-branch")
    assert ran.code == 1 and "git" in ran.err


def test_diff_compares_crmconf_yaml(cli: CLI, repo: Path) -> None:
    """Turning on prune deletes more than any spec file: the diff shows it, as destructive."""
    ws = repo / "crm"
    config = ws / "crmconf.yaml"
    text = config.read_text()
    assert "policies:" in text
    config.write_text(text.replace("policies:\n", "policies:\n  prune: [field, automation]\n", 1))
    ran = cli("diff", "-w", ws, "--base", "HEAD", "--detailed-exitcode")
    assert ran.code == 2, ran.out + ran.err
    assert "~ config.policies" in ran.out and '~ prune: + field; + automation' in ran.out
    assert "! prune turns on for automation, field: the next apply deletes every live object" in ran.out
    assert "applying needs --allow-destroy" in ran.out
    data = cli("diff", "-w", ws, "--base", "HEAD", "--format", "json")
    changes = {c["address"]: c for c in json.loads(data.out)["changes"]}
    assert changes["config.policies"]["destructive"] is True


def test_diff_shows_targets_without_secret_values(cli: CLI, repo: Path) -> None:
    ws = repo / "crm"
    config = ws / "crmconf.yaml"
    pasted = "pat-na1-00000000-this-is-a-pasted-token"
    config.write_text(
        config.read_text().replace(
            "targets:\n", f"targets:\n  hubspot-prod: {{provider: hubspot, settings: {{token_env: HUBSPOT_TOKEN, "
            f"secret: {pasted}}}}}\n", 1
        )
    )
    ran = cli("diff", "-w", ws, "--base", "HEAD")
    assert "+ config.target.hubspot-prod" in ran.out and "HUBSPOT_TOKEN" in ran.out
    assert pasted not in ran.out + ran.err and "sha256:" in ran.out
