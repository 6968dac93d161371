"""A loopback GitHub REST API: the few endpoints crmconf's sign-off check and audit issues use.

Real HTTP on 127.0.0.1, GitHub's JSON shapes, status codes, error bodies, `Link` pagination, rate-limit
headers, and its refusals (bad credentials, a token without the permission, approving your own pull
request, a status description over 140 characters, ...). Each rule and its source: RULES-github.md.
crmconf is tested through the real PyGithub client pointed at `GitHubEmulator.base_url`.

    with GitHubEmulator() as gh:
        gh.world.add_token("ghs_ci", "github-actions[bot]", {"pull_requests:read", "statuses:write"})
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.emulators.faults import RequestLog
from tests.emulators.github_state import JSON, GitHubError, World

DEFAULT_PER_PAGE, MAX_PER_PAGE = 30, 100
RATE_LIMIT = 5000  # an installation token's primary limit per hour


@dataclass
class Call:
    world: World
    params: dict[str, str]
    query: dict[str, str]
    body: JSON
    login: str
    path: str


Handler = Callable[[Call], tuple[int, JSON]]
ROUTES: list[tuple[str, re.Pattern[str], str, Handler]] = []


def route(method: str, pattern: str, permission: str) -> Callable[[Handler], Handler]:
    """`permission`: what the token needs (GitHub's fine-grained names, e.g. `pull_requests:read`)."""
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

    def register(handler: Handler) -> Handler:
        ROUTES.append((method, regex, permission, handler))
        return handler

    return register


def _repo(c: Call) -> Any:
    return c.world.repo(f"{c.params['owner']}/{c.params['repo']}")


def _number(c: Call, name: str = "number") -> int:
    if not c.params[name].isdigit():
        raise GitHubError(404, "Not Found")
    return int(c.params[name])


@route("GET", "/repos/{owner}/{repo}/pulls/{number}", "pull_requests:read")
def _get_pull(c: Call) -> tuple[int, JSON]:
    repo = _repo(c)
    return 200, c.world.pull_json(repo, c.world.pull(repo, _number(c)))


@route("GET", "/repos/{owner}/{repo}/pulls/{number}/reviews", "pull_requests:read")
def _list_reviews(c: Call) -> tuple[int, JSON]:
    repo = _repo(c)
    return 200, list(c.world.pull(repo, _number(c)).reviews)


@route("POST", "/repos/{owner}/{repo}/pulls/{number}/reviews", "pull_requests:write")
def _create_review(c: Call) -> tuple[int, JSON]:
    repo = _repo(c)
    return 200, c.world.review(repo, c.world.pull(repo, _number(c)), c.login, c.body or {})


@route("GET", "/repos/{owner}/{repo}/pulls/{number}/reviews/{review}", "pull_requests:read")
def _get_review(c: Call) -> tuple[int, JSON]:
    repo = _repo(c)
    found = [r for r in c.world.pull(repo, _number(c)).reviews if r["id"] == _number(c, "review")]
    if not found:
        raise GitHubError(404, "Not Found")
    return 200, found[0]


@route("PUT", "/repos/{owner}/{repo}/pulls/{number}/reviews/{review}/dismissals", "pull_requests:write")
def _dismiss_review(c: Call) -> tuple[int, JSON]:
    repo = _repo(c)
    return 200, c.world.dismiss(c.world.pull(repo, _number(c)), _number(c, "review"), c.body)


@route("GET", "/orgs/{org}/teams/{slug}/members", "members:read")
def _team_members(c: Call) -> tuple[int, JSON]:
    return 200, c.world.team_members(c.params["org"], c.params["slug"])


@route("POST", "/repos/{owner}/{repo}/statuses/{sha}", "statuses:write")
def _create_status(c: Call) -> tuple[int, JSON]:
    return 201, c.world.status(_repo(c), c.params["sha"], c.login, c.body)


@route("GET", "/repos/{owner}/{repo}/commits/{sha}/statuses", "statuses:read")
def _list_statuses(c: Call) -> tuple[int, JSON]:
    return 200, list(reversed(_repo(c).statuses.get(c.params["sha"], [])))  # newest first, as GitHub lists


@route("GET", "/repos/{owner}/{repo}/issues", "issues:read")
def _list_issues(c: Call) -> tuple[int, JSON]:
    repo, state = _repo(c), c.query.get("state", "open")
    wanted = {x for x in c.query.get("labels", "").split(",") if x}
    found = [
        c.world.issue_json(repo, n)
        for n, issue in sorted(repo.issues.items(), reverse=True)  # newest first
        if (state == "all" or issue["state"] == state) and wanted <= set(issue["labels"])
    ]
    return 200, found


@route("POST", "/repos/{owner}/{repo}/issues", "issues:write")
def _create_issue(c: Call) -> tuple[int, JSON]:
    return 201, c.world.create_issue(_repo(c), c.login, c.body)


@route("PATCH", "/repos/{owner}/{repo}/issues/{number}", "issues:write")
def _edit_issue(c: Call) -> tuple[int, JSON]:
    return 200, c.world.edit_issue(_repo(c), _number(c), c.body or {})


# Comments on a pull request are issue comments; the token needs issues or pull_requests (write to post).
@route("GET", "/repos/{owner}/{repo}/issues/{number}/comments", "issues:read|pull_requests:read")
def _list_comments(c: Call) -> tuple[int, JSON]:
    repo = _repo(c)
    return 200, c.world.comments_of(repo, _number(c))


@route("POST", "/repos/{owner}/{repo}/issues/{number}/comments", "issues:write|pull_requests:write")
def _create_comment(c: Call) -> tuple[int, JSON]:
    return 201, c.world.create_comment(_repo(c), _number(c), c.login, c.body)


@route("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment}", "issues:write|pull_requests:write")
def _edit_comment(c: Call) -> tuple[int, JSON]:
    return 200, c.world.edit_comment(_repo(c), _number(c, "comment"), c.login, c.body)


@dataclass
class _Limits:
    remaining: int = RATE_LIMIT
    reset: int = field(default_factory=lambda: int(time.time()) + 3600)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self, method: str) -> None:
        emu = self.server.emulator
        parts = urlsplit(self.path)
        emu.requests.record(method, parts.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            with emu.lock:
                status, body, headers = emu.handle(method, parts.path, parts.query, raw, self.headers)
        except GitHubError as exc:
            status, body, headers = exc.status, exc.body(), emu.rate_headers()
        payload = b"" if status == 204 else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-GitHub-Media-Type", "github.v3; format=json")
        self.send_header("X-GitHub-Request-Id", f"EMU:{emu.requests.total}")
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], emulator: GitHubEmulator) -> None:
        super().__init__(address, _Handler)
        self.emulator = emulator


class GitHubEmulator:
    def __init__(self, *, port: int = 0) -> None:
        self.world = World()
        self.requests = RequestLog()
        self.limits = _Limits()
        self.lock = threading.RLock()
        self.base_url = ""
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> GitHubEmulator:
        self._server = _Server(("127.0.0.1", self._port), self)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.world.base_url = self.base_url
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="github-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> GitHubEmulator:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def rate_headers(self) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(RATE_LIMIT), "X-RateLimit-Remaining": str(max(self.limits.remaining, 0)),
                "X-RateLimit-Reset": str(self.limits.reset), "X-RateLimit-Used": str(RATE_LIMIT - self.limits.remaining),
                "X-RateLimit-Resource": "core"}

    def handle(self, method: str, path: str, query: str, raw: bytes, headers: Any) -> tuple[int, JSON, dict[str, str]]:
        login, permissions = self._authenticate(headers.get("Authorization") or "")
        if self.limits.remaining <= 0:
            raise GitHubError(403, "API rate limit exceeded for installation. If you reach out to GitHub Support "
                                   "for help, please include the request ID.")
        self.limits.remaining -= 1
        for verb, regex, permission, handler in ROUTES:
            match = regex.match(path)
            if verb != method or match is None:
                continue
            if not any(p in permissions or p.replace(":read", ":write") in permissions for p in permission.split("|")):
                raise GitHubError(403, "Resource not accessible by integration")
            try:
                body = json.loads(raw) if raw else None
            except ValueError as exc:
                raise GitHubError(400, "Problems parsing JSON") from exc
            args = {k: v[-1] for k, v in parse_qs(query).items()}
            status, result = handler(Call(self.world, match.groupdict(), args, body, login, path))
            out = self.rate_headers()
            if isinstance(result, list):
                result, link = _page(result, path, args, self.base_url)
                if link:
                    out["Link"] = link
            return status, result, out
        raise GitHubError(404, "Not Found")

    def _authenticate(self, header: str) -> tuple[str, frozenset[str]]:
        scheme, _, token = header.partition(" ")
        if not header:
            raise GitHubError(401, "Requires authentication")
        if scheme.lower() not in ("token", "bearer") or token not in self.world.tokens:
            raise GitHubError(401, "Bad credentials")
        return self.world.tokens[token]


def _page(items: list[JSON], path: str, args: dict[str, str], base: str) -> tuple[list[JSON], str]:
    """One page of a list, and the `Link` header GitHub sends (RFC 8288: next, last, first, prev)."""
    try:
        per_page = min(int(args.get("per_page", DEFAULT_PER_PAGE)), MAX_PER_PAGE)
        page = max(int(args.get("page", 1)), 1)
    except ValueError:
        per_page, page = DEFAULT_PER_PAGE, 1
    per_page = max(per_page, 1)
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]

    def url(n: int) -> str:
        return f"{base}{path}?{urlencode({**args, 'per_page': per_page, 'page': n})}"

    links = []
    if page < last:
        links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    if page > 1:
        links += [f'<{url(1)}>; rel="first"', f'<{url(page - 1)}>; rel="prev"']
    return chunk, ", ".join(links)
