"""The sign-off check of a pull request, against the loopback GitHub API through the real PyGithub client:
it fails until a member of each team that must sign off has approved, and the commit status says so."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from github import Auth, Github, GithubException

from tests.conftest import CLI
from tests.council.repo import commit, edited, git, make_repo, write
from tests.emulators.github import GitHubEmulator

REPO = "acme/crm"
PR = 7
CI_PERMISSIONS = {"pull_requests:read", "statuses:write", "members:read"}
PEOPLE = ("devon", "mlopez", "tomas", "lena", "ana", "eve", "author", "u125")


@dataclass
class Pull:
    gh: GitHubEmulator
    ws: Path
    base: str
    head: str

    def review(self, login: str, event: str, body: str = "") -> None:
        client = Github(auth=Auth.Token(f"tok-{login}"), base_url=self.gh.base_url, lazy=True)
        client.get_repo(REPO).get_pull(PR).create_review(event=event, body=body or "")

    def push(self, sections_edit: dict[str, object] | None = None, *, outside: bool = False) -> None:
        repo = self.ws.parent
        if outside:
            (repo / "README.md").write_text("docs only\n")
        if sections_edit is not None:
            tree = edited(sections_edit)
            write(self.ws, tree.pop("config"), tree)
        self.head = commit(repo, "push")
        self.gh.world.push(REPO, PR, self.head)

    def status(self) -> dict[str, object]:
        return self.gh.world.combined(self.gh.world.repo(REPO), self.head)["crmconf/sign-off"]  # type: ignore[no-any-return]


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubEmulator]:
    with GitHubEmulator() as gh:
        gh.world.add_token("tok-ci", "github-actions[bot]", CI_PERMISSIONS)
        for login in PEOPLE:
            gh.world.add_token(f"tok-{login}", login, {"pull_requests:write"})
        gh.world.add_team("acme", "support-leads", [f"u{i}" for i in range(130)])  # two pages of members
        monkeypatch.setenv("GITHUB_TOKEN", "tok-ci")
        monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
        monkeypatch.setenv("GITHUB_API_URL", gh.base_url)
        yield gh


def open_pull(gh: GitHubEmulator, tmp_path: Path, change: dict[str, object]) -> Pull:
    ws = make_repo(tmp_path)
    base = git(ws.parent, "rev-parse", "HEAD")
    tree = edited(change)
    write(ws, tree.pop("config"), tree)
    head = commit(ws.parent, "change")
    gh.world.open_pull(REPO, PR, "author", head)
    return Pull(gh, ws, base, head)


def check(cli: CLI, pull: Pull) -> tuple[int, dict[str, object]]:
    ran = cli("signoff", pull.ws, "--base", pull.base, "--pull-request", str(PR), "--post-status",
              "--format", "json")
    assert ran.code in (0, 4), ran.err
    return ran.code, json.loads(ran.out)


def states(result: dict[str, object]) -> dict[str, str]:
    return {n["party"]: n["state"] for n in result["needs"]}  # type: ignore[attr-defined,index]


def test_the_check_fails_until_a_member_of_each_team_approves(cli: CLI, tmp_path: Path, github: GitHubEmulator) -> None:
    pull = open_pull(github, tmp_path, {
        "set": {"terminology.1.definition": "A lead marketing qualified by fit.", "pipelines.0.owners": ["sales"]}})
    code, result = check(cli, pull)
    assert code == 4 and states(result) == {"marketing": "waiting", "revops": "waiting", "sales": "waiting"}
    assert pull.status()["state"] == "pending"
    assert pull.status()["description"] == "0 of 3 signed off; waiting for marketing, revops, sales"

    pull.review("lena", "APPROVE")
    with pytest.raises(GithubException) as refused:  # GitHub itself refuses a self-approval
        pull.review("author", "APPROVE")
    assert refused.value.status == 422
    pull.review("mlopez", "APPROVE")
    pull.review("devon", "REQUEST_CHANGES", "Keep revops on the pipeline")
    code, result = check(cli, pull)
    assert code == 4 and states(result)["revops"] == "changes-requested"
    assert pull.status()["state"] == "failure"

    pull.review("eve", "APPROVE")  # not a member of any team: counts for nobody
    pull.review("devon", "APPROVE")  # a reviewer's latest decision counts
    code, result = check(cli, pull)
    assert code == 0 and set(states(result).values()) == {"approved"}
    assert pull.status()["state"] == "success" and result["summary"] == "3 of 3 signed off"

    pull.push(outside=True)  # a push that leaves the workspace alone keeps the sign-offs
    assert check(cli, pull)[0] == 0 and pull.status()["state"] == "success"
    pull.push({"set": {"terminology.1.definition": "A lead marketing qualified."}})  # the spec moved again
    code, result = check(cli, pull)
    assert code == 4 and pull.status()["state"] == "pending"


def test_a_member_the_pull_request_adds_cannot_sign_off(cli: CLI, tmp_path: Path, github: GitHubEmulator) -> None:
    pull = open_pull(github, tmp_path, {"set": {
        "terminology.1.definition": "Anything eve likes.",
        "teams.2.members.1": {"email": "eve@acme.example", "github": "eve"},
    }})
    pull.review("eve", "APPROVE")
    pull.review("devon", "APPROVE")  # the council signs off the membership change
    code, result = check(cli, pull)
    assert code == 4 and states(result) == {"marketing": "waiting", "revops": "approved"}
    pull.review("lena", "APPROVE")
    assert check(cli, pull)[0] == 0


def test_a_github_team_signs_off_for_its_team(cli: CLI, tmp_path: Path, github: GitHubEmulator) -> None:
    sections = {"set": {"pipelines.1": {
        "name": "support", "object": "ticket", "label": "Support", "owners": ["support"],
        "stages": [{"name": "new", "label": "New"}, {"name": "closed", "label": "Closed", "outcome": "closed"}]}}}
    pull = open_pull(github, tmp_path, sections)
    assert check(cli, pull)[0] == 4
    pull.review("u125", "APPROVE")  # on the second page of the GitHub team's members
    code, result = check(cli, pull)
    assert code == 0 and result["needs"][0]["approved_by"] == ["u125"]  # type: ignore[index]


def test_reviews_are_read_across_pages_and_dismissals_count(cli: CLI, tmp_path: Path, github: GitHubEmulator) -> None:
    pull = open_pull(github, tmp_path, {"set": {"fields.deal.0.label": "Annual recurring revenue"}})
    for i in range(105):
        pull.review("tomas", "COMMENT", f"note {i}")
    pull.review("ana", "APPROVE")  # review 106: the second page
    assert check(cli, pull)[0] == 0
    review = github.world.repo(REPO).pulls[PR].reviews[-1]
    client = Github(auth=Auth.Token("tok-devon"), base_url=github.base_url, lazy=True)
    client.get_repo(REPO).get_pull(PR).get_review(review["id"]).dismiss("Approved the wrong PR")
    code, result = check(cli, pull)
    assert code == 4 and states(result) == {"finance": "waiting"}


def test_the_council_stands_in_for_an_owner_who_cannot_approve(cli: CLI, tmp_path: Path, github: GitHubEmulator) -> None:
    """The automation's owner left and has no login: after the team, the council signs off in their place."""
    pull = open_pull(github, tmp_path, {"set": {"automations.0.owner": "gone@acme.example"}})
    pull.review("mlopez", "APPROVE")  # sales, and maria (the old owner) herself
    code, result = check(cli, pull)
    assert code == 4 and states(result)["gone@acme.example"] == "nobody-can-approve"
    pull.review("devon", "APPROVE")
    code, result = check(cli, pull)
    gone = next(n for n in result["needs"] if n["party"] == "gone@acme.example")  # type: ignore[attr-defined]
    assert code == 0 and gone["stand_in"] == "revops" and gone["approved_by"] == ["devon"]


@pytest.mark.parametrize(
    ("token", "permissions", "message"),
    [
        ("tok-bad", None, "401 Bad credentials"),
        ("tok-limited", {"pull_requests:read", "statuses:write"}, "403 Resource not accessible by integration"),
    ],
)
def test_github_refusals_are_plain_errors(cli: CLI, tmp_path: Path, github: GitHubEmulator,
                                          monkeypatch: pytest.MonkeyPatch, token: str,
                                          permissions: set[str] | None, message: str) -> None:
    if permissions is not None:
        github.world.add_token(token, "limited-bot", permissions)
    monkeypatch.setenv("GITHUB_TOKEN", token)
    pull = open_pull(github, tmp_path, {"set": {"pipelines.1": {
        "name": "support", "object": "ticket", "label": "Support", "owners": ["support"],
        "stages": [{"name": "new", "label": "New"}, {"name": "closed", "label": "Closed", "outcome": "closed"}]}}})
    ran = cli("signoff", pull.ws, "--base", pull.base, "--pull-request", str(PR))
    assert ran.code == 1 and message in ran.err and token not in ran.err + ran.out
