"""The state of the loopback GitHub: users, tokens, an organisation's teams, repositories with pull requests,
reviews, commit statuses and issues, and the refusals GitHub answers with (RULES-github.md)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

JSON = Any
DOCS = "https://docs.github.com/rest"
STATUS_STATES = ("error", "failure", "pending", "success")
REVIEW_EVENTS = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}
BODY_LIMIT = 65_536
DESCRIPTION_LIMIT = 140


class GitHubError(Exception):
    def __init__(self, status: int, message: str, errors: list[JSON] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors

    def body(self) -> JSON:
        out: JSON = {"message": self.message, "documentation_url": DOCS, "status": str(self.status)}
        if self.errors is not None:
            out["errors"] = self.errors
        return out


def invalid(resource: str, field_name: str, message: str, code: str = "custom") -> GitHubError:
    return GitHubError(
        422, "Validation Failed", [{"resource": resource, "code": code, "field": field_name, "message": message}]
    )


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Pull:
    number: int
    author: str
    head_sha: str
    base_ref: str = "main"
    title: str = "Change the CRM spec"
    reviews: list[JSON] = field(default_factory=list)


@dataclass
class Repo:
    owner: str
    name: str
    commits: set[str] = field(default_factory=set)
    pulls: dict[int, Pull] = field(default_factory=dict)
    statuses: dict[str, list[JSON]] = field(default_factory=dict)  # sha -> statuses, newest last
    issues: dict[int, JSON] = field(default_factory=dict)
    comments: dict[int, JSON] = field(default_factory=dict)  # id -> comment (on an issue or a pull request)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class World:
    base_url: str = ""
    users: dict[str, int] = field(default_factory=dict)  # login -> id
    tokens: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)  # token -> (login, permissions)
    teams: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (org, slug) -> member logins
    repos: dict[str, Repo] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    # ---- setting up ----

    def user(self, login: str) -> JSON:
        uid = self.users.setdefault(login, next(self._ids))
        kind = "Bot" if login.endswith("[bot]") else "User"  # the Actions token acts as github-actions[bot]
        return {"login": login, "id": uid, "node_id": f"U_{uid}", "type": kind, "site_admin": False,
                "url": f"{self.base_url}/users/{login}", "html_url": f"https://github.com/{login}"}

    def add_token(self, token: str, login: str, permissions: set[str]) -> None:
        self.user(login)
        self.tokens[token] = (login, frozenset(permissions))

    def add_team(self, org: str, slug: str, members: list[str]) -> None:
        for m in members:
            self.user(m)
        self.teams[(org.lower(), slug)] = list(members)

    def add_repo(self, full_name: str) -> Repo:
        owner, name = full_name.split("/")
        return self.repos.setdefault(full_name.lower(), Repo(owner, name))

    def open_pull(self, full_name: str, number: int, author: str, head_sha: str) -> Pull:
        repo = self.add_repo(full_name)
        self.user(author)
        repo.commits.add(head_sha)
        repo.pulls[number] = Pull(number, author, head_sha)
        return repo.pulls[number]

    def push(self, full_name: str, number: int, sha: str) -> None:
        repo = self.repo(full_name)
        repo.commits.add(sha)
        self.pull(repo, number).head_sha = sha

    # ---- reading ----

    def repo(self, full_name: str) -> Repo:
        repo = self.repos.get(full_name.lower())
        if repo is None:
            raise GitHubError(404, "Not Found")
        return repo

    @staticmethod
    def pull(repo: Repo, number: int) -> Pull:
        if number not in repo.pulls:
            raise GitHubError(404, "Not Found")
        return repo.pulls[number]

    def pull_json(self, repo: Repo, pull: Pull) -> JSON:
        url = f"{self.base_url}/repos/{repo.full_name}/pulls/{pull.number}"
        return {"url": url, "id": 50_000 + pull.number, "number": pull.number, "state": "open",
                "title": pull.title, "user": self.user(pull.author), "draft": False, "merged": False,
                "html_url": f"https://github.com/{repo.full_name}/pull/{pull.number}",
                "head": {"ref": f"pr-{pull.number}", "sha": pull.head_sha, "label": f"{repo.owner}:pr-{pull.number}"},
                "base": {"ref": pull.base_ref, "sha": "0" * 40, "label": f"{repo.owner}:{pull.base_ref}"}}

    def team_members(self, org: str, slug: str) -> list[JSON]:
        members = self.teams.get((org.lower(), slug))
        if members is None:
            raise GitHubError(404, "Not Found")
        return [self.user(m) for m in members]

    # ---- writing ----

    def review(self, repo: Repo, pull: Pull, login: str, body: JSON) -> JSON:
        event = body.get("event") if isinstance(body, dict) else None
        if event not in REVIEW_EVENTS:  # a review without an event stays PENDING, which crmconf never sees
            raise invalid("PullRequestReview", "event", "event must be one of APPROVE, REQUEST_CHANGES, COMMENT")
        if login == pull.author and event in ("APPROVE", "REQUEST_CHANGES"):
            verb = "approve" if event == "APPROVE" else "request changes on"
            raise GitHubError(422, "Unprocessable Entity", [f"Can not {verb} your own pull request"])
        if event in ("REQUEST_CHANGES", "COMMENT") and not body.get("body"):
            raise GitHubError(422, "Unprocessable Entity",
                              [f"Review Comment is missing (body is required for {event})"])
        commit = body.get("commit_id") or pull.head_sha
        if commit not in repo.commits:
            raise invalid("PullRequestReview", "commit_id", f"No commit found for SHA: {commit}")
        rid = next(self._ids)
        review = {"id": rid, "node_id": f"PRR_{rid}", "user": self.user(login), "body": body.get("body") or "",
                  "state": REVIEW_EVENTS[event], "commit_id": commit, "submitted_at": now(),
                  "author_association": "MEMBER",
                  "html_url": f"https://github.com/{repo.full_name}/pull/{pull.number}#pullrequestreview-{rid}",
                  "pull_request_url": f"{self.base_url}/repos/{repo.full_name}/pulls/{pull.number}"}
        pull.reviews.append(review)
        return review

    @staticmethod
    def dismiss(pull: Pull, review_id: int, body: JSON) -> JSON:
        review = next((r for r in pull.reviews if r["id"] == review_id), None)
        if review is None:
            raise GitHubError(404, "Not Found")
        if not isinstance(body, dict) or not body.get("message"):
            raise invalid("PullRequestReview", "message", "message is required", "missing_field")
        if review["state"] not in ("APPROVED", "CHANGES_REQUESTED"):
            raise GitHubError(422, "Can not dismiss a commented pull request review")
        review["state"] = "DISMISSED"
        return review

    def status(self, repo: Repo, sha: str, login: str, body: JSON) -> JSON:
        if sha not in repo.commits:
            raise GitHubError(422, f"No commit found for SHA: {sha}")
        if not isinstance(body, dict) or body.get("state") not in STATUS_STATES:
            raise invalid("Status", "state", "state is not included in the list")
        description = body.get("description") or ""
        if len(description) > DESCRIPTION_LIMIT:
            raise invalid("Status", "description", f"description is too long (maximum is {DESCRIPTION_LIMIT} characters)")
        sid = next(self._ids)
        status = {"id": sid, "node_id": f"SC_{sid}", "state": body["state"], "description": description or None,
                  "target_url": body.get("target_url"), "context": body.get("context") or "default",
                  "created_at": now(), "updated_at": now(), "creator": self.user(login),
                  "url": f"{self.base_url}/repos/{repo.full_name}/statuses/{sha}"}
        repo.statuses.setdefault(sha, []).append(status)
        return status

    @staticmethod
    def combined(repo: Repo, sha: str) -> dict[str, JSON]:
        """The latest status per context: what a required status check reads."""
        latest: dict[str, JSON] = {}
        for status in repo.statuses.get(sha, []):
            latest[status["context"]] = status
        return latest

    def issue_json(self, repo: Repo, number: int) -> JSON:
        issue = repo.issues[number]
        labels = [{"name": n, "id": abs(hash(n)) % 10_000_000, "color": "ededed"} for n in issue["labels"]]
        return {**issue, "labels": labels, "url": f"{self.base_url}/repos/{repo.full_name}/issues/{number}",
                "html_url": f"https://github.com/{repo.full_name}/issues/{number}"}

    def create_issue(self, repo: Repo, login: str, body: JSON) -> JSON:
        if not isinstance(body, dict) or not body.get("title"):
            raise invalid("Issue", "title", "title is missing", "missing_field")
        self._check_body(body.get("body"))
        number = max([*repo.issues, *repo.pulls, 0]) + 1
        repo.issues[number] = {"id": next(self._ids), "number": number, "title": body["title"],
                               "body": body.get("body"), "state": "open", "user": self.user(login),
                               "labels": [str(x) for x in body.get("labels") or []], "created_at": now(),
                               "updated_at": now(), "closed_at": None}
        return self.issue_json(repo, number)

    def edit_issue(self, repo: Repo, number: int, body: JSON) -> JSON:
        if number not in repo.issues:
            raise GitHubError(404, "Not Found")
        issue = repo.issues[number]
        if "body" in body:
            self._check_body(body["body"])
            issue["body"] = body["body"]
        if "title" in body:
            issue["title"] = body["title"]
        if "state" in body:
            if body["state"] not in ("open", "closed"):
                raise invalid("Issue", "state", "state is not included in the list")
            issue["state"] = body["state"]
            issue["closed_at"] = now() if body["state"] == "closed" else None
        if "labels" in body:
            issue["labels"] = [str(x) for x in body["labels"]]
        issue["updated_at"] = now()
        return self.issue_json(repo, number)

    # ---- comments on issues and pull requests ----

    def comments_of(self, repo: Repo, number: int) -> list[JSON]:
        if number not in repo.issues and number not in repo.pulls:
            raise GitHubError(404, "Not Found")
        return [c for c in repo.comments.values() if c["number"] == number]  # oldest first, as GitHub lists

    def create_comment(self, repo: Repo, number: int, login: str, body: JSON) -> JSON:
        self.comments_of(repo, number)
        if not isinstance(body, dict) or not isinstance(body.get("body"), str) or not body["body"]:
            raise invalid("IssueComment", "body", "body is missing", "missing_field")
        self._check_body(body["body"])
        cid = next(self._ids)
        url = f"{self.base_url}/repos/{repo.full_name}/issues/comments/{cid}"
        repo.comments[cid] = {"id": cid, "number": number, "body": body["body"], "user": self.user(login),
                              "url": url, "html_url": f"https://github.com/{repo.full_name}/pull/{number}#issuecomment-{cid}",
                              "issue_url": f"{self.base_url}/repos/{repo.full_name}/issues/{number}",
                              "created_at": now(), "updated_at": now()}
        return repo.comments[cid]

    def edit_comment(self, repo: Repo, cid: int, login: str, body: JSON) -> JSON:
        comment = repo.comments.get(cid)
        if comment is None:
            raise GitHubError(404, "Not Found")
        if comment["user"]["login"] != login:  # [choice] an integration edits only its own comments
            raise GitHubError(403, "Resource not accessible by integration")
        if not isinstance(body, dict) or not isinstance(body.get("body"), str) or not body["body"]:
            raise invalid("IssueComment", "body", "body is missing", "missing_field")
        self._check_body(body["body"])
        comment.update(body=body["body"], updated_at=now())
        return comment

    @staticmethod
    def _check_body(text: JSON) -> None:
        if isinstance(text, str) and len(text) > BODY_LIMIT:
            raise invalid("Issue", "body", f"body is too long (maximum is {BODY_LIMIT} characters)")
