"""The only code that talks to GitHub: reviews, team members, commit statuses and audit issues, via PyGithub.

PyGithub is the most used GitHub client for Python, released regularly, typed, and synchronous like the
rest of crmconf; it shares requests/urllib3 with simple-salesforce. Objects are made lazily, so each call
below is exactly one documented REST endpoint (plus its pages), never a fetch of the repository first.

Configuration comes from the environment GitHub Actions provides: GITHUB_TOKEN (or GH_TOKEN),
GITHUB_REPOSITORY (owner/name) and GITHUB_API_URL (GitHub Enterprise Server, or the test emulator).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import requests
from github import Auth, Github, GithubException, GithubRetry

from crmconf.council.approvals import Review
from crmconf.errors import CrmconfError, UsageError

DEFAULT_API = "https://api.github.com"

# PyGithub gives its logger a handler of its own, bound to the stderr of import time, at INFO: its messages
# would bypass crmconf's masked console. Route them through the root logger (crmconf.cli), warnings only.
_LOGGER = logging.getLogger("github")
for _handler in list(_LOGGER.handlers):
    _LOGGER.removeHandler(_handler)
_LOGGER.setLevel(logging.WARNING)


class GitHubError(CrmconfError):
    """GitHub refused or failed a request; said plainly, never a traceback."""

    code = "E030"


@dataclass(frozen=True)
class PullRequest:
    number: int
    head_sha: str
    author: str
    base_ref: str


@dataclass(frozen=True)
class Issue:
    number: int
    title: str
    body: str
    state: str


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    bot: bool  # written by an app or the Actions token, not a person


@dataclass(frozen=True)
class Settings:
    token: str
    repository: str
    api_url: str

    @classmethod
    def from_environment(cls, repository: str | None, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or ""
        repo = repository or env.get("GITHUB_REPOSITORY") or ""
        if not token:
            raise UsageError("set GITHUB_TOKEN (in GitHub Actions: `env: GITHUB_TOKEN: ${{ github.token }}`)")
        if repo.count("/") != 1:
            raise UsageError("say which repository: --repository OWNER/NAME (or set GITHUB_REPOSITORY)")
        return cls(token, repo, (env.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/"))


def _why(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or exc)
    details = [
        str(e.get("message") or e.get("code") or e) if isinstance(e, dict) else str(e)
        for e in data.get("errors") or []
    ]
    hint = ""
    if exc.status == 403 and "not accessible" in message:
        hint = " (the token lacks a permission: see docs/ci.md for the ones crmconf needs)"
    if exc.status == 401:
        hint = " (check GITHUB_TOKEN)"
    return f"{exc.status} {message}" + (f": {'; '.join(details)}" if details else "") + hint


@contextlib.contextmanager
def _asking(what: str) -> Iterator[None]:
    """Every failure of one request as a plain GitHubError naming what crmconf was doing."""
    try:
        yield
    except GithubException as exc:
        raise GitHubError(f"{what}: {_why(exc)}") from exc
    except requests.RequestException as exc:
        raise GitHubError(f"{what}: GitHub could not be reached ({type(exc).__name__})") from exc


class GitHubClient:
    def __init__(self, settings: Settings, *, retries: int = 3) -> None:
        self.settings = settings
        self._gh = Github(
            auth=Auth.Token(settings.token),
            base_url=settings.api_url,
            per_page=100,
            timeout=30,
            lazy=True,
            retry=GithubRetry(total=retries, backoff_factor=0.5),
        )
        self._repo = self._gh.get_repo(settings.repository)

    def close(self) -> None:
        self._gh.close()

    def pull_request(self, number: int) -> PullRequest:
        with _asking(f"reading pull request #{number}"):
            pull = self._repo.get_pull(number)
            return PullRequest(number, pull.head.sha, pull.user.login, pull.base.ref)

    def reviews(self, number: int) -> list[Review]:
        """Every submitted review, oldest first (GitHub's order), across all pages."""
        with _asking(f"reading the reviews of #{number}"):
            pull = self._repo.get_pull(number)
            return [
                Review(r.user.login if r.user else "", r.state, r.commit_id or "") for r in pull.get_reviews()
            ]

    def team_members(self, team: str) -> frozenset[str]:
        """The logins (lower case) of a GitHub team written `org/slug`."""
        org, _, slug = team.partition("/")
        with _asking(f"reading the members of GitHub team {team}"):
            found = self._gh.get_organization(org).get_team_by_slug(slug).get_members()
            return frozenset(user.login.lower() for user in found)

    def post_status(self, sha: str, *, state: str, description: str, context: str, target_url: str = "") -> None:
        with _asking(f"posting the {context} status on {sha[:12]}"):
            commit = self._repo.get_commit(sha)
            if target_url:
                commit.create_status(state, target_url, description, context)
            else:
                commit.create_status(state, description=description, context=context)

    def open_issues(self, label: str) -> list[Issue]:
        with _asking(f"listing the open issues labelled {label}"):
            # Pull requests are listed too; callers tell theirs apart by the marker in the body.
            found = self._repo.get_issues(state="open", labels=[label])
            return [Issue(i.number, i.title, i.body or "", i.state) for i in found]

    def create_issue(self, title: str, body: str, label: str) -> int:
        with _asking(f"opening the issue {title!r}"):
            return int(self._repo.create_issue(title=title, body=body, labels=[label]).number)

    def update_issue(self, number: int, *, body: str | None = None, state: str | None = None) -> None:
        with _asking(f"updating issue #{number}"):
            issue = self._repo.get_issue(number)
            if body is not None and state is not None:
                issue.edit(body=body, state=state)
            elif body is not None:
                issue.edit(body=body)
            elif state is not None:
                issue.edit(state=state)

    def upsert_comment(self, number: int, ours: Callable[[Comment], bool], body: str) -> str:
        """Edit the first comment of #number that `ours` accepts, or create one; returns its URL."""
        with _asking(f"reading the comments of #{number}"):
            issue = self._repo.get_issue(number)
            for found in issue.get_comments():
                if ours(Comment(found.id, found.body or "", bool(found.user and found.user.type == "Bot"))):
                    with _asking(f"updating comment {found.id} of #{number}"):
                        found.edit(body)
                    return str(found.html_url)
        with _asking(f"commenting on #{number}"):
            return str(issue.create_comment(body).html_url)


__all__ = ["Comment", "GitHubClient", "GitHubError", "Issue", "PullRequest", "Settings", "UsageError"]
