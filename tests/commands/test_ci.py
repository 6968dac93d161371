"""`crmconf show` (a saved plan rendered again, no second read of the CRM) and `crmconf ci fit|comment`."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmconf.council import comment
from tests.conftest import CLI
from tests.emulators.github import GitHubEmulator

REPO = "acme/crm"


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_show_renders_the_saved_plan_as_plan_did(cli: CLI, workspace: Path, tmp_path: Path, fmt: str) -> None:
    saved = tmp_path / "plan.json"
    fresh = cli("plan", "-w", workspace, "--format", fmt, "--out", saved)
    assert fresh.code == 0
    shown = cli("show", saved, "--format", fmt)
    assert shown.code == 0 and shown.out == fresh.out


def test_show_refuses_an_edited_plan(cli: CLI, workspace: Path, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    assert cli("plan", "-w", workspace, "--out", saved).code == 0
    saved.write_text(saved.read_text().replace('"target": "local"', '"target": "prod"'))
    shown = cli("show", saved)
    assert shown.code == 1 and "was edited after crmconf saved it" in shown.err


@pytest.mark.parametrize(("size", "cut"), [(100, False), (200_000, True)])
def test_fit_cuts_at_a_line_with_a_link(cli: CLI, tmp_path: Path, size: int, cut: bool) -> None:
    report = tmp_path / "drift.md"
    lines = ["# drift", "```diff", *(f"+ field.deal.f{i}" for i in range(size // 20)), "```"]
    report.write_text("\n".join(lines) + "\n")
    ran = cli("ci", "fit", report, "--limit", "65000", "--link", "https://github.com/a/b/artifacts/1",
              "--what", "drift report")
    assert ran.code == 0 and len(ran.out) <= 65_000
    if not cut:
        assert ran.out == report.read_text()
        return
    kept = ran.out.split("\n\n*The drift report was cut")[0].splitlines()
    assert kept[-1] == "```" and kept[-2] in lines  # whole lines, and the code block closed
    assert "[https://github.com/a/b/artifacts/1](https://github.com/a/b/artifacts/1)" in ran.out


def test_a_link_that_is_not_https_is_not_linked() -> None:
    text = comment.fit("x\n" * 40_000, link="javascript:alert(1)")
    assert "javascript" not in text and "cut here" in text


def test_the_comment_body_says_what_failed_and_keeps_the_plan_out_when_none() -> None:
    body = comment.body("specs@prod", "", [comment.Failure("plan", "x\n" * 100 + "error E030: boom")],
                        run_url="https://github.com/acme/crm/actions/runs/9")
    assert body.startswith("<!-- crmconf-plan: specs@prod -->\n### :x: crmconf plan failed for `specs@prod`")
    assert "error E030: boom" in body and body.count("x\n") < 70  # the end of the log, where the reason is
    assert "[the workflow run](https://github.com/acme/crm/actions/runs/9)" in body


def test_a_token_that_cannot_comment_is_a_plain_error(cli: CLI, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text("<!-- crmconf-plan -->\n### crmconf plan\n")
    with GitHubEmulator() as gh:
        gh.world.open_pull(REPO, 3, "author", "a" * 40)
        gh.world.add_token("tok-read", "github-actions[bot]", {"pull_requests:read"})
        gh.world.add_token("tok-write", "github-actions[bot]", {"pull_requests:write"})
        monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
        monkeypatch.setenv("GITHUB_API_URL", gh.base_url)
        monkeypatch.setenv("GITHUB_TOKEN", "tok-read")
        ran = cli("ci", "comment", "--pull-request", "3", "--key", "specs@local", "--plan", plan)
        assert ran.code == 1 and "403 Resource not accessible by integration" in ran.err
        monkeypatch.setenv("GITHUB_TOKEN", "tok-write")
        ran = cli("ci", "comment", "--pull-request", "3", "--key", "specs@local", "--plan", plan)
        assert ran.code == 0 and "issuecomment" in ran.err
        [made] = gh.world.repo(REPO).comments.values()
        assert made["body"] == "<!-- crmconf-plan: specs@local -->\n### crmconf plan\n"
