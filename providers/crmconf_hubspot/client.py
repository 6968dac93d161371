"""The connection to HubSpot, its settings, and what HubSpot's answers mean for the retry policy.

urllib3 inside the generated client would otherwise retry some calls by itself (GETs on 429 with
Retry-After, dropped connections), so the client is built with `retry=Retry(total=False)` and every
call goes through `Client.call`, under the retry policy both providers share (crmconf.engine.retry),
HubSpot's answers deciding:

- 429: never processed by HubSpot, so always retried (any method), waiting Retry-After (or the
  rate-limit window, or the backoff) — a DAILY limit stops the run at once (LimitExceededError);
- 5xx, timeouts, dropped connections: retried only for idempotent calls (GET, PUT, DELETE, reads
  sent as POST such as search and batch/read); a non-idempotent write whose answer was lost raises
  `Uncertain`, and `Client.write` reads back before deciding to send it again (nothing applied twice);
- exponential backoff with jitter, bounded attempts (crmconf.engine.retry); every error names HubSpot's
  correlationId. Each request and retry is logged for `--verbose` (crmconf.logs).

Every attempt takes a slot of the client's `Gate` (crmconf.engine.pool): at most `read_concurrency`
requests in flight (a plan's reads run concurrently), within the budget HubSpot's
`X-HubSpot-RateLimit-*` headers announce on every answer (the 10-second burst window and the daily
allowance), every thread waiting when one is told to (429 Retry-After), and one retry budget shared
by all threads.

APIs the generated SDK 12.0.0 lacks (v4 flows, property validation rules, `dataSensitivity` listings,
private-app token introspection) are called with the SDK's own raw request builder (the one behind
`HubSpot.api_request`), sent through one keep-alive session with a timeout, because `api_request`
itself has no timeout and prints transport errors to stdout. A 403 MISSING_SCOPES becomes
`MissingScopes` naming the scopes; searches are paced under HubSpot's per-second search limit.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests
import urllib3
from hubspot import HubSpot
from hubspot.utils.requests.http_request_builder import Request
from urllib3.util.retry import Retry

from crmconf import logs
from crmconf.engine import retry
from crmconf.engine.pool import Gate
from crmconf.errors import AuthError, LimitExceededError, ProviderError, UsageError

log = logging.getLogger("crmconf.hubspot")
T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.hubapi.com"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOKENISH = re.compile(r"^(pat-|Bearer\s)|^[A-Za-z0-9]{8}-[A-Za-z0-9]{4}-", re.IGNORECASE)

SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        # No `pattern` here on purpose: a jsonschema message would echo a pasted token back.
        "token_env": {"type": "string", "minLength": 1,
                      "description": "NAME of the environment variable holding a private-app token"},
        "base_url": {"type": "string", "minLength": 1, "description": "API root (an emulator in tests)"},
        "timeout": {"type": "number", "exclusiveMinimum": 0, "description": "seconds per request"},
        "strict_decoding": {"type": "boolean",
                            "description": "decode responses with the client's validation on (tests)"},
        "search_per_second": {"type": "number", "exclusiveMinimum": 0,
                              "description": "CRM searches sent per second at most (HubSpot limits search on its own)"},
        "read_concurrency": {"type": "integer", "minimum": 1, "maximum": 10,
                             "description": "requests in flight at once at most while reading (1: one at a time)"},
        "lock_settle": {"type": "number", "minimum": 0, "maximum": 60,
                        "description": "seconds a new apply lock settles before it is read back (HubSpot has no "
                                       "conditional write), default 2"},
        "retry": {
            "type": "object",
            "properties": {
                "max_attempts": {"type": "integer", "minimum": 1, "maximum": 20},
                "base_delay": {"type": "number", "minimum": 0},
                "max_delay": {"type": "number", "minimum": 0},
            },
            "additionalProperties": False,
        },
    },
    "required": ["token_env"],
    "additionalProperties": False,
}


RetryPolicy = retry.Policy  # the retry policy both providers share (crmconf.engine.retry)


@dataclass(frozen=True)
class Settings:
    token_env: str
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 30.0
    strict_decoding: bool = False
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # HubSpot's search endpoints have their own per-second limit (4 a second per token when it was raised;
    # 5 in later docs): crmconf paces its searches under it instead of meeting 429s.
    search_per_second: float = 4.0
    # Requests in flight at once. HubSpot documents no concurrency limit, only rates (100 or 190 a
    # 10-second burst window, by tier), which the gate keeps to from the headers; 5 at once keeps a
    # plan's ~20 reads to a few round trips without bursting a Free portal's window on large reads.
    read_concurrency: int = 5
    # The apply lock (crmconf_hubspot.state): how long a freshly uploaded lock file is left before its path
    # is read back to confirm this run's file is the one there (docs/provider-contract.md).
    lock_settle: float = 2.0


def parse_settings(target: str, raw: Mapping[str, Any]) -> Settings:
    """Settings already passed SETTINGS_SCHEMA; refuse a token pasted where its variable's name goes."""
    env = str(raw["token_env"])
    if _TOKENISH.search(env) or not _ENV_NAME.match(env):
        # Never echo the value: it may be the secret itself.
        raise UsageError(
            f"target {target}: settings.token_env must be the NAME of an environment variable (for example "
            "HUBSPOT_TOKEN), not a token; remove the token from crmconf.yaml, revoke it if it was committed, "
            "and export it in that variable instead"
        )
    retry = RetryPolicy(**{k: raw.get("retry", {})[k] for k in ("max_attempts", "base_delay", "max_delay")
                           if k in raw.get("retry", {})})
    return Settings(token_env=env, base_url=str(raw.get("base_url") or DEFAULT_BASE_URL).rstrip("/"),
                    timeout=float(raw.get("timeout", 30.0)), strict_decoding=bool(raw.get("strict_decoding")),
                    retry=retry, search_per_second=float(raw.get("search_per_second", 4.0)),
                    read_concurrency=int(raw.get("read_concurrency", 5)),
                    lock_settle=float(raw.get("lock_settle", 2.0)))


class Uncertain(ProviderError):
    """A write whose answer was lost (timeout, dropped connection, 5xx): it may or may not have happened."""


class MissingScopes(AuthError):
    """HubSpot answered 403 MISSING_SCOPES: the private app lacks every scope that grants the call."""

    def __init__(self, message: str, *, context: str, scopes: tuple[str, ...]) -> None:
        super().__init__(message, context=context)
        self.scopes = scopes


class Refused(ProviderError):
    """HubSpot answered with a 4xx; callers branch on `status` and `category` (409 exists, 404 gone...)."""

    def __init__(self, message: str, *, context: str, status: int, category: str) -> None:
        super().__init__(message, context=context)
        self.status, self.category = status, category


@dataclass(frozen=True)
class _Failure:
    status: int  # 0: no HTTP answer at all
    message: str
    category: str = ""
    correlation_id: str = ""
    retry_after: float | None = None
    daily: bool = False
    scopes: tuple[str, ...] = ()  # MISSING_SCOPES: any one of these grants the call

    def describe(self) -> str:
        parts = [f"HTTP {self.status}" if self.status else "no answer"]
        if self.category:
            parts.append(self.category)
        if self.correlation_id:
            parts.append(f"correlationId {self.correlation_id}")
        return f"{self.message} ({', '.join(parts)})"


class HttpError(Exception):
    """A non-2xx answer of the raw flows API, shaped like the SDK's ApiException (status/body/headers)."""

    def __init__(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        super().__init__(f"HTTP {status}")
        self.status, self.body, self.headers = status, body, headers


def _json(raw: Any) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _retry_after(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("Retry-After")
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
            except (TypeError, ValueError):
                return None
    # No Retry-After: when the rolling window is exhausted, wait for (a tenth of) it to roll.
    if headers.get("X-HubSpot-RateLimit-Remaining") == "0":
        interval = headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
        if interval and interval.isdigit():
            return int(interval) / 10_000
    if headers.get("X-HubSpot-RateLimit-Secondly-Remaining") == "0":
        return 1.0
    return None


DAY = 86_400.0


def rate_windows(headers: Mapping[str, str] | None) -> list[tuple[str, int, float, str]]:
    """HubSpot's rate-limit headers as gate windows (name, remaining, seconds it binds, in words).

    The burst window is rolling (Max per Interval-Milliseconds): once it is used up, a tenth of it is
    waited for to roll (as a 429 without Retry-After is), then the next answer says again. The daily
    allowance resets at midnight in the portal's time zone, which no header says: used up, it stops
    the run (the gate does not wait a day). The per-second headers are not used: HubSpot's usage
    guidelines call them deprecated and no longer enforced.
    """
    if not headers:
        return []
    found: list[tuple[str, int, float, str]] = []
    remaining, interval = headers.get("X-HubSpot-RateLimit-Remaining"), headers.get(
        "X-HubSpot-RateLimit-Interval-Milliseconds")
    if remaining and remaining.isdigit() and interval and interval.isdigit():
        limit = headers.get("X-HubSpot-RateLimit-Max") or "?"
        found.append(("burst", int(remaining), int(interval) / 10_000,
                      f"HubSpot's burst limit ({limit} requests per {int(interval) / 1000:g} s)"))
    daily = headers.get("X-HubSpot-RateLimit-Daily-Remaining")
    if daily and daily.isdigit():
        found.append(("daily", int(daily), DAY, f"HubSpot's daily limit ({headers.get('X-HubSpot-RateLimit-Daily') or '?'} requests)"))
    return found


def _with_headers(fn: Callable[..., Any]) -> Callable[..., Any] | None:
    """The generated SDK's `<name>_with_http_info` twin of an API method: the same call, answering
    (data, status, headers), so the rate-limit headers of a successful answer are seen too."""
    owner, name = getattr(fn, "__self__", None), getattr(fn, "__name__", "")
    twin = getattr(owner, f"{name}_with_http_info", None) if owner is not None and name else None
    return twin if callable(twin) else None


def _required_scopes(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The scopes a 403 names (`errors[].context.requiredGranularScopes`, any one of them grants the call)."""
    found: list[str] = []
    for error in body.get("errors") or []:
        context = error.get("context") if isinstance(error, dict) else None
        for scope in (context or {}).get("requiredGranularScopes") or (context or {}).get("requiredScopes") or ():
            if str(scope) not in found:
                found.append(str(scope))
    return tuple(found)


def _failure(exc: BaseException) -> _Failure | None:
    """What went wrong, when it is a vendor or transport failure (None: a bug, let it surface)."""
    status = getattr(exc, "status", None)
    if isinstance(status, int) and status > 0 and hasattr(exc, "body"):
        headers = getattr(exc, "headers", None) or {}
        body = _json(getattr(exc, "body", None))
        message = str(body.get("message") or getattr(exc, "reason", "") or "request failed")
        daily = body.get("policyName") == "DAILY" or headers.get("X-HubSpot-RateLimit-Daily-Remaining") == "0"
        return _Failure(status, message, str(body.get("category") or body.get("errorType") or ""),
                        str(body.get("correlationId") or headers.get("X-HubSpot-Correlation-Id") or ""),
                        _retry_after(headers) if status == 429 else None, daily and status == 429,
                        _required_scopes(body) if status == 403 else ())
    if isinstance(exc, urllib3.exceptions.HTTPError | requests.exceptions.RequestException):
        # urllib3's NewConnectionError (refused, unreachable) subclasses its TimeoutError: test it first.
        timed_out = isinstance(exc, urllib3.exceptions.TimeoutError | requests.exceptions.Timeout) \
            and not isinstance(exc, urllib3.exceptions.NewConnectionError)
        kind = "timed out" if timed_out else "connection failed"
        return _Failure(0, f"{kind}: {type(exc).__name__}")
    return None


_UNKNOWN = object()


def _log_requests(rest: Any) -> None:
    """Every request of a generated API object, logged for `--verbose` (crmconf.logs): its REST client's
    `request` is the one call all its methods (GET, POST...) go through, answered or refused."""
    if getattr(rest, "_crmconf_logged", False):  # API objects of one package share a client
        return
    send = rest.request

    def request(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        try:
            answer = send(method, url, *args, **kwargs)
        except Exception as exc:
            status = getattr(exc, "status", None) or f"no answer ({type(exc).__name__})"
            logs.request("hubspot", method, url, status, time.monotonic() - started)
            raise
        logs.request("hubspot", method, url, answer.status, time.monotonic() - started)
        return answer

    rest.request = request
    rest._crmconf_logged = True


class Client:
    """One HubSpot account: the SDK's API objects (built once) and the retry loop around every call."""

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None) -> None:
        self.settings = settings
        self.policy = settings.retry
        self.requests = 0  # every HTTP attempt, retries included (benchmarks and tests read it)
        # The bounded pool, rate budget and retry budget every thread's requests share (crmconf.engine.pool).
        self.gate = Gate(settings.read_concurrency, retries=4 * self.policy.max_attempts)
        self._counting = threading.Lock()
        self._building = threading.Lock()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._token: str | None = None
        self._sdk: HubSpot | None = None
        self._apis: dict[str, Any] = {}
        self._session: requests.Session | None = None
        self._scopes: object = _UNKNOWN
        self._asking = threading.Lock()  # one token-info request however many reads start at once
        self._clock: Callable[[], float] = time.monotonic
        self._last_search: float | None = None
        self._searching = threading.Lock()

    # --- connection ---------------------------------------------------------------------------

    @property
    def token(self) -> str:
        if self._token is None:
            value = os.environ.get(self.settings.token_env, "").strip()
            if not value:
                raise AuthError(f"the environment variable {self.settings.token_env} is not set; export a HubSpot "
                                "private-app token in it", context="hubspot")
            self._token = value
        return self._token

    def api(self, name: str) -> Any:
        """A generated API object, created once (each SDK accessor would build a new connection pool)."""
        with self._building:  # concurrent reads ask for them at once
            return self._api(name)

    def _api(self, name: str) -> Any:
        if name not in self._apis:
            if self._sdk is None:
                self._sdk = HubSpot(access_token=self.token, host=self.settings.base_url,
                                    base_url=self.settings.base_url, retry=Retry(total=False),
                                    client_side_validation=self.settings.strict_decoding)
            sdk = self._sdk
            crm, settings = self._sdk.crm, self._sdk.settings
            factories: dict[str, Callable[[], Any]] = {
                "properties": lambda: crm.properties.core_api,
                "property_batch": lambda: crm.properties.batch_api,
                "groups": lambda: crm.properties.groups_api,
                "pipelines": lambda: crm.pipelines.pipelines_api,
                "stages": lambda: crm.pipelines.pipeline_stages_api,
                "search": lambda: crm.objects.search_api,
                "records": lambda: crm.objects.batch_api,
                "owners": lambda: crm.owners.owners_api,
                "users": lambda: settings.users.users_api,
                "roles": lambda: settings.users.roles_api,
                "teams": lambda: settings.users.teams_api,
                "files": lambda: sdk.files.files_api,  # crmconf's own documents (crmconf_hubspot.state)
            }
            self._apis[name] = api = factories[name]()
            _log_requests(api.api_client.rest_client)
        return self._apis[name]

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        self._apis.clear()
        self._sdk = None

    # --- the retry policy -----------------------------------------------------------------------

    def call(self, what: str, fn: Callable[..., T], *args: Any, idempotent: bool, **kwargs: Any) -> T:
        """Run one SDK call under the policy; `what` names the operation in errors (never a secret)."""
        if kwargs.get("_preload_content") is False:  # the raw answer comes back, headers and all
            def raw_answer() -> T:
                answer = fn(*args, _request_timeout=self.settings.timeout, **kwargs)
                self._observe(getattr(answer, "headers", None))
                return answer

            return self._run(what, raw_answer, idempotent)
        detailed = _with_headers(fn)
        if detailed is None:
            return self._run(what, lambda: fn(*args, _request_timeout=self.settings.timeout, **kwargs), idempotent)

        def send() -> T:
            data, _status, headers = detailed(*args, _request_timeout=self.settings.timeout, **kwargs)
            self._observe(headers)
            return data  # type: ignore[no-any-return]

        return self._run(what, send, idempotent)

    def _observe(self, headers: Mapping[str, str] | None) -> None:
        for name, remaining, binds, what in rate_windows(headers):
            self.gate.observe(name, remaining, binds, what)

    def search(self, what: str, object_type: str, request: Any) -> Any:
        """A CRM search, paced under HubSpot's per-second search limit."""
        with self._searching:  # one pace for every thread
            if self._last_search is not None:
                wait = self._last_search + 1.0 / self.settings.search_per_second - self._clock()
                if wait > 0:
                    self._sleep(wait)
            self._last_search = self._clock()
        return self.call(what, self.api("search").do_search, object_type, request, idempotent=True)

    def flows(self, method: str, path: str = "", *, body: Any = None, qs: Mapping[str, Any] | None = None,
              idempotent: bool) -> Any:
        """The v4 automation API (not in the generated SDK): JSON in, JSON out, same policy."""
        return self.raw(method, f"/automation/v4/flows{path}", body=body, qs=qs, idempotent=idempotent)

    def raw(self, method: str, path: str, *, body: Any = None, qs: Mapping[str, Any] | None = None,
            idempotent: bool) -> Any:
        """An API the generated SDK 12.0.0 lacks (v4 flows, property validations, `dataSensitivity`):
        built by the SDK's own request builder, sent on one keep-alive session, same policy."""
        def send() -> Any:
            options: dict[str, Any] = {"method": method, "path": path}
            if body is not None:
                options["body"] = body
            if qs:
                options["qs"] = dict(qs)
            request = Request({"access_token": self.token, "base_url": self.settings.base_url}, options)
            with self._building:
                if self._session is None:
                    self._session = requests.Session()
                session = self._session
            started = time.monotonic()
            try:
                response = session.request(request.get_method(), request.get_url(), timeout=self.settings.timeout,
                                           **request.get_options_for_sending())
            except requests.RequestException as exc:
                logs.request("hubspot", method, request.get_url(), f"no answer ({type(exc).__name__})",
                             time.monotonic() - started)
                raise
            logs.request("hubspot", method, request.get_url(), response.status_code, time.monotonic() - started)
            if not 200 <= response.status_code < 300:
                raise HttpError(response.status_code, response.content, response.headers)
            self._observe(response.headers)
            return response.json() if response.content else None

        return self._run(f"{method} {path}", send, idempotent)

    def token_scopes(self) -> frozenset[str] | None:
        """The scopes HubSpot granted this private-app token (one request, cached); None when HubSpot
        cannot say (another kind of token): callers then learn of a missing scope from its 403."""
        with self._asking:
            return self._token_scopes()

    def _token_scopes(self) -> frozenset[str] | None:
        if self._scopes is _UNKNOWN:
            try:
                info = self.raw("POST", "/oauth/v2/private-apps/get/access-token-info",
                                body={"tokenKey": self.token}, idempotent=True)
            except (AuthError, LimitExceededError):
                raise
            except ProviderError:  # not a private-app token, or the endpoint is down: learn from 403s instead
                self._scopes = None
            else:
                found = info.get("scopes") if isinstance(info, dict) else None
                self._scopes = frozenset(str(s) for s in found) if isinstance(found, list) else None
        return self._scopes if isinstance(self._scopes, frozenset) else None

    def _run(self, what: str, send: Callable[[], T], idempotent: bool) -> T:
        """One operation under the shared retry policy (crmconf.engine.retry); HubSpot's answers decide."""
        tries = {"rate_limited": 0, "transient": 0}
        last: list[str] = []

        def decide(exc: Exception, attempt: int) -> retry.Retry | None:
            failure = _failure(exc)
            if failure is None:
                return None
            if failure.status != 429:  # a 429's wait is its Retry-After, taken by every thread
                self._observe(getattr(exc, "headers", None))
            wait = self._decide(what, failure, idempotent, tries["rate_limited"], tries["transient"], exc)
            tries["rate_limited" if failure.status == 429 else "transient"] += 1
            last[:] = [self._clean(failure.describe())]
            return retry.Retry(wait, last[0], everyone=failure.status == 429)

        def spent(exc: Exception) -> Exception:
            return ProviderError(f"gave up: the retries every concurrent request shares are spent ({last[0]})",
                                 context=f"hubspot: {what}", retryable=True)

        return retry.run("hubspot", what, send, decide, gate=self.gate, policy=self.policy, sleep=self._sleep,
                         count=self._count, spent=spent)

    def _count(self) -> None:
        with self._counting:
            self.requests += 1

    def _decide(self, what: str, failure: _Failure, idempotent: bool, rate_limited: int, transient: int,
                exc: BaseException) -> float:
        """How long to wait before the next attempt, or raise when there must be none."""
        context = f"hubspot: {what}"
        if failure.status == 429:
            if failure.daily:
                raise LimitExceededError(f"the daily API limit is used up: {self._clean(failure.describe())}",
                                         context=context) from exc
            if rate_limited + 1 >= self.policy.max_attempts:
                raise LimitExceededError(
                    f"still rate limited after {rate_limited + 1} attempts: {self._clean(failure.describe())}",
                    context=context) from exc
            backoff = self.policy.backoff(rate_limited + 1, self._rng)
            return min(self.policy.max_delay, max(failure.retry_after or 0.0, backoff))
        if failure.status == 403 and failure.scopes:
            names = " or ".join(f"`{s}`" for s in failure.scopes)
            raise MissingScopes(f"the private app's token (${self.settings.token_env}) lacks the scope {names}; "
                                "add it to the app's scopes in HubSpot (Settings \u203a Integrations \u203a Private apps) "
                                f"and use the new token ({self._clean(failure.describe())})", context=context,
                                scopes=failure.scopes) from exc
        if failure.status in (401, 403):
            hint = (f"check the private-app token in ${self.settings.token_env}" if failure.status == 401
                    else "the private app lacks a scope this needs")
            raise AuthError(f"{self._clean(failure.describe())}; {hint}", context=context) from exc
        if failure.status == 0 or failure.status >= 500:
            if not idempotent:
                raise Uncertain(self._clean(failure.describe()), context=context, retryable=True) from exc
            if transient + 1 >= self.policy.max_attempts:
                raise ProviderError(f"gave up after {transient + 1} attempts: {self._clean(failure.describe())}",
                                    context=context, retryable=True) from exc
            return self.policy.backoff(transient + 1, self._rng)
        raise Refused(self._clean(failure.describe()), context=context, status=failure.status,
                      category=failure.category) from exc

    def write(self, what: str, send: Callable[[], T], reconcile: Callable[[], T | None]) -> T:
        """A non-idempotent write: when its answer is lost, read back; send again only if it did not happen."""
        last: Uncertain | None = None
        for attempt in range(1, self.policy.max_attempts + 1):
            try:
                return send()
            except Uncertain as exc:
                last = exc
                found = reconcile()
                if found is not None:
                    log.debug("hubspot: %s had happened although its answer was lost", what)
                    return found
                self._sleep(self.policy.backoff(attempt, self._rng))
        raise ProviderError(f"the outcome stayed unknown after {self.policy.max_attempts} attempts "
                            f"(each checked by reading back first): {last}", context=f"hubspot: {what}")

    def _clean(self, text: str) -> str:
        """Belt and braces: no message leaves with the token in it."""
        return text.replace(self._token, "***") if self._token else text
