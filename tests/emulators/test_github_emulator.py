"""The loopback GitHub keeps GitHub's rules (RULES-github.md names each test here and its source)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.emulators.github import GitHubEmulator

SHA = "a" * 40


@pytest.fixture(scope="module")
def gh() -> Iterator[GitHubEmulator]:
    with GitHubEmulator() as emulator:
        w = emulator.world
        w.add_token("ci", "ci-bot", {"pull_requests:read", "statuses:write", "members:read", "issues:write"})
        w.add_token("reader", "reader-bot", {"pull_requests:read"})
        w.add_token("maria", "mlopez", {"pull_requests:write"})
        w.add_token("author", "author", {"pull_requests:write"})
        w.open_pull("acme/crm", 1, "author", SHA)
        w.add_team("acme", "big", [f"u{i}" for i in range(130)])
        yield emulator


def call(gh: GitHubEmulator, method: str, path: str, token: str | None = "ci", **kw: Any) -> requests.Response:
    headers = {"Accept": "application/vnd.github+json", **({"Authorization": f"Bearer {token}"} if token else {})}
    return requests.request(method, gh.base_url + path, headers=headers, timeout=10, **kw)


def test_authentication_is_required_and_checked(gh: GitHubEmulator) -> None:
    assert call(gh, "GET", "/repos/acme/crm/pulls/1", token=None).status_code == 401
    bad = call(gh, "GET", "/repos/acme/crm/pulls/1", token="nope")
    assert bad.status_code == 401 and bad.json()["message"] == "Bad credentials"
    assert bad.json()["documentation_url"].startswith("https://docs.github.com/")


def test_a_token_without_the_permission_is_refused(gh: GitHubEmulator) -> None:
    refused = call(gh, "POST", f"/repos/acme/crm/statuses/{SHA}", token="reader", json={"state": "success"})
    assert refused.status_code == 403 and refused.json()["message"] == "Resource not accessible by integration"
    assert call(gh, "GET", "/orgs/acme/teams/big/members", token="reader").status_code == 403


def test_unknown_things_are_404(gh: GitHubEmulator) -> None:
    assert call(gh, "GET", "/repos/acme/nope/pulls/1").status_code == 404
    assert call(gh, "GET", "/repos/acme/crm/pulls/99").status_code == 404
    assert call(gh, "GET", "/orgs/acme/teams/nope/members").status_code == 404


def test_lists_page_with_link_headers(gh: GitHubEmulator) -> None:
    first = call(gh, "GET", "/orgs/acme/teams/big/members")
    assert len(first.json()) == 30  # GitHub's default page size
    assert 'rel="next"' in first.headers["Link"] and 'rel="last"' in first.headers["Link"]
    big = call(gh, "GET", "/orgs/acme/teams/big/members", params={"per_page": 500})
    assert len(big.json()) == 100  # per_page is capped at 100
    nxt = re.search(r'<([^>]+)>; rel="next"', big.headers["Link"])
    assert nxt is not None
    second = requests.get(nxt.group(1), headers={"Authorization": "Bearer ci"}, timeout=10)
    assert [u["login"] for u in second.json()] == [f"u{i}" for i in range(100, 130)]
    assert 'rel="next"' not in second.headers["Link"] and 'rel="prev"' in second.headers["Link"]


def test_every_answer_carries_rate_limit_headers(gh: GitHubEmulator) -> None:
    headers = call(gh, "GET", "/repos/acme/crm/pulls/1").headers
    assert int(headers["X-RateLimit-Remaining"]) < int(headers["X-RateLimit-Limit"])
    assert headers["X-RateLimit-Resource"] == "core" and headers["X-RateLimit-Reset"].isdigit()
    saved, gh.limits.remaining = gh.limits.remaining, 0
    try:
        spent = call(gh, "GET", "/repos/acme/crm/pulls/1")
    finally:
        gh.limits.remaining = saved
    assert spent.status_code == 403 and spent.headers["X-RateLimit-Remaining"] == "0"
    assert spent.json()["message"].startswith("API rate limit exceeded")


def test_nobody_approves_their_own_pull_request(gh: GitHubEmulator) -> None:
    own = call(gh, "POST", "/repos/acme/crm/pulls/1/reviews", token="author", json={"event": "APPROVE"})
    assert own.status_code == 422 and "your own pull request" in own.json()["errors"][0]
    mute = call(gh, "POST", "/repos/acme/crm/pulls/1/reviews", token="maria", json={"event": "REQUEST_CHANGES"})
    assert mute.status_code == 422  # requesting changes needs a body


def test_a_review_records_the_commit_and_a_dismissal_withdraws_it(gh: GitHubEmulator) -> None:
    made = call(gh, "POST", "/repos/acme/crm/pulls/1/reviews", token="maria", json={"event": "APPROVE"}).json()
    assert made["state"] == "APPROVED" and made["commit_id"] == SHA and made["user"]["login"] == "mlopez"
    path = f"/repos/acme/crm/pulls/1/reviews/{made['id']}/dismissals"
    assert call(gh, "PUT", path, token="maria", json={"event": "DISMISS"}).status_code == 422  # needs a message
    done = call(gh, "PUT", path, token="maria", json={"message": "stale", "event": "DISMISS"})
    assert done.json()["state"] == "DISMISSED"
    listed = call(gh, "GET", "/repos/acme/crm/pulls/1/reviews").json()
    assert [r["state"] for r in listed if r["id"] == made["id"]] == ["DISMISSED"]


def test_commit_statuses_are_validated_and_the_latest_per_context_wins(gh: GitHubEmulator) -> None:
    path = f"/repos/acme/crm/statuses/{SHA}"
    assert call(gh, "POST", path, json={"state": "green"}).status_code == 422
    too_long = call(gh, "POST", path, json={"state": "success", "description": "x" * 141})
    assert too_long.status_code == 422 and "maximum is 140" in too_long.json()["errors"][0]["message"]
    assert call(gh, "POST", f"/repos/acme/crm/statuses/{'b' * 40}", json={"state": "success"}).status_code == 422
    for state in ("pending", "success"):
        assert call(gh, "POST", path, json={"state": state, "context": "crmconf/sign-off"}).status_code == 201
    combined = gh.world.combined(gh.world.repo("acme/crm"), SHA)
    assert combined["crmconf/sign-off"]["state"] == "success"


def test_issues_need_a_title_and_keep_under_the_body_limit(gh: GitHubEmulator) -> None:
    assert call(gh, "POST", "/repos/acme/crm/issues", json={"body": "x"}).status_code == 422
    long = call(gh, "POST", "/repos/acme/crm/issues", json={"title": "t", "body": "x" * 65_537})
    assert long.status_code == 422 and "maximum is 65536" in long.json()["errors"][0]["message"]
    made = call(gh, "POST", "/repos/acme/crm/issues", json={"title": "t", "labels": ["crmconf-audit"]})
    assert made.status_code == 201 and made.json()["labels"][0]["name"] == "crmconf-audit"
    number = made.json()["number"]
    assert call(gh, "PATCH", f"/repos/acme/crm/issues/{number}", json={"state": "closed"}).json()["state"] == "closed"
    listed = call(gh, "GET", "/repos/acme/crm/issues", params={"labels": "crmconf-audit"}).json()
    assert number not in [i["number"] for i in listed]  # open issues only, by default


def test_the_rules_catalogue_names_tests_that_exist() -> None:
    here = Path(__file__).parent
    catalogue = (here / "RULES-github.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", catalogue))
    defined = {
        name for path in [*here.glob("test_github*.py"), *(here.parent / "council").glob("test_*.py")]
        for name in re.findall(r"^def (test_[a-z0-9_]+)", path.read_text(encoding="utf-8"), re.M)
    }
    assert named and named <= defined, sorted(named - defined)


def test_comments_need_write_rights_a_body_and_their_author(gh: GitHubEmulator) -> None:
    gh.world.add_token("bot", "github-actions[bot]", {"pull_requests:write"})
    path = "/repos/acme/crm/issues/1/comments"
    assert call(gh, "POST", path, token="reader", json={"body": "x"}).status_code == 403
    assert call(gh, "POST", path, token="bot", json={}).status_code == 422
    assert call(gh, "POST", path, token="bot", json={"body": "x" * 65_537}).status_code == 422
    made = call(gh, "POST", path, token="bot", json={"body": "first"})
    assert made.status_code == 201 and made.json()["user"]["type"] == "Bot"
    call(gh, "POST", path, token="maria", json={"body": "second"})
    listed = call(gh, "GET", path, token="reader").json()
    assert [c["body"] for c in listed] == ["first", "second"] and listed[1]["user"]["type"] == "User"
    url = made.json()["url"].removeprefix(gh.base_url)
    assert call(gh, "PATCH", url, token="maria", json={"body": "mine now"}).status_code == 403
    edited = call(gh, "PATCH", url, token="bot", json={"body": "edited"})
    assert edited.status_code == 200 and edited.json()["body"] == "edited"
    assert call(gh, "GET", "/repos/acme/crm/issues/99/comments").status_code == 404
