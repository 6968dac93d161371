"""The connection to one Salesforce org, and every vendor error turned into a crmconf error.

Everything that talks to Salesforce goes through `SalesforceClient`, so one place decides:
- how we log in (a session id, or username/password/token, or a JWT bearer grant: the login flows
  call the real login host through simple-salesforce); secrets come only from environment
  variables and never appear in a message;
- what an error means: REQUEST_LIMIT_EXCEEDED (REST 403, SOAP fault) stops the run cleanly
  (`LimitExceededError`), an expired session is an `AuthError` that says which variable to renew,
  a write result with success=false is a per-component failure, and anything else is a
  `ProviderError` naming what was being done;
- what is retried: reads only (a timeout or 5xx on a read is harmless to repeat; a write might have
  landed, so it is reported, never repeated behind the user's back), under the retry policy both
  providers share (crmconf.engine.retry). The client library itself retries nothing, so there is no
  double retry; every answer (REST, Composite, SOAP) is logged for `--verbose` (crmconf.logs);
- how calls are grouped: Metadata CRUD at most 10 components a call, listMetadata 3 queries a call,
  SOQL followed page by page (nextRecordsUrl), independent GETs in one Composite Batch request (25
  at most; /composite would allow only 5 queries);
- how many go at once: reads (the chunks of a Metadata read, the Composite Batch requests, the pages
  of different queries) are sent concurrently, at most `read_concurrency` in flight, through one
  `Gate` (crmconf.engine.pool) that also keeps to the daily allocation the `Sforce-Limit-Info` header
  reports (api-usage=used/allocation) and holds the retry budget every thread shares. Salesforce
  limits only concurrent requests lasting 20 s or more (25 per production org or sandbox, shared
  with its other integrations; 5 per Developer Edition or trial org) and none shorter: 10 by default
  stays well inside a production org's limit; set 5 for a Developer Edition or trial org. Writes go
  one call at a time.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote

import requests
import zeep
import zeep.exceptions
from requests.adapters import HTTPAdapter
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceRefusedRequest,
)
from zeep.helpers import serialize_object as _serialize

from crmconf import logs
from crmconf.engine import pool, retry
from crmconf.errors import AuthError, LimitExceededError, ProviderError, UsageError

T = TypeVar("T")


def serialize(value: Any) -> Any:
    """A zeep object as plain dicts and lists."""
    return _serialize(value, dict)  # type: ignore[no-untyped-call]


DEFAULT_API_VERSION = "59.0"  # simple-salesforce's own default
MD_BATCH = 10  # Metadata API: components per create/read/update/upsert/delete call
LIST_BATCH = 3  # listMetadata: queries per call
COMPOSITE_BATCH = 25  # Composite Batch: subrequests per call (queries included, no cap on them)
COLLECTION_BATCH = 200  # sObject Collections: records per call
READ_RETRIES = 2
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
# The description is what a refusal says (crmconf never quotes a settings value back: it may be a secret).
ENV_SETTING = {"type": "string", "pattern": ENV_NAME, "description": "the NAME of an environment variable, not its value"}

SETTINGS_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "instance_url": {"type": "string", "pattern": r"^https://[^\s/]+/?$"},
        "api_version": {"type": "string", "pattern": r"^[0-9]{2}\.0$"},
        "domain": {"type": "string", "pattern": r"^[A-Za-z0-9.-]+$"},
        "timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600},
        "retry_backoff_seconds": {"type": "number", "minimum": 0, "maximum": 60},
        "read_concurrency": {"type": "integer", "minimum": 1, "maximum": 25,
                             "description": "requests in flight at once at most while reading (1: one at a time)"},
        "session_env": ENV_SETTING,
        "username_env": ENV_SETTING,
        "password_env": ENV_SETTING,
        "token_env": ENV_SETTING,
        "jwt_key_env": ENV_SETTING,
        "client_id_env": ENV_SETTING,
        "ca_bundle_env": ENV_SETTING,
    },
    # No other keys: a literal token, password or session id in crmconf.yaml is refused.
    "additionalProperties": False,
    # Exactly one way to log in: a session id, a password login, or a JWT bearer grant. Each way
    # excludes the others' keys, so a stray key can't make `Settings.method` pick a different login.
    "oneOf": [
        {"required": ["session_env", "instance_url"],
         "not": {"anyOf": [{"required": ["password_env"]}, {"required": ["jwt_key_env"]}]}},
        {"required": ["username_env", "password_env", "token_env"],
         "not": {"anyOf": [{"required": ["session_env"]}, {"required": ["jwt_key_env"]}]}},
        {"required": ["jwt_key_env", "client_id_env", "username_env"],
         "not": {"anyOf": [{"required": ["session_env"]}, {"required": ["password_env"]}]}},
    ],
}


@dataclass(frozen=True)
class Settings:
    instance_url: str
    api_version: str
    domain: str
    timeout: float
    env: Mapping[str, str]  # setting name (session_env, ...) -> environment variable name
    backoff: float = 0.2  # before the first retry of a failed read (then doubling, with jitter: crmconf.engine.retry)
    read_concurrency: int = 10  # see the module docstring

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Settings:
        return cls(
            instance_url=str(raw.get("instance_url", "")).rstrip("/"),
            api_version=str(raw.get("api_version", DEFAULT_API_VERSION)),
            domain=str(raw.get("domain", "login")),
            timeout=float(raw.get("timeout_seconds", 120)),
            env={k: str(v) for k, v in raw.items() if k.endswith("_env")},
            backoff=float(raw.get("retry_backoff_seconds", 0.2)),
            read_concurrency=int(raw.get("read_concurrency", 10)),
        )

    @property
    def method(self) -> str:
        if "session_env" in self.env:
            return "session"
        return "jwt" if "jwt_key_env" in self.env else "password"

    def secret(self, key: str, *, may_be_empty: bool = False) -> str:
        name = self.env[key]
        value = os.environ.get(name)
        if value is None or (not value and not may_be_empty):
            raise UsageError(f"the environment variable {name} ({key} in crmconf.yaml) is not set or empty")
        return value


class _TimeoutAdapter(HTTPAdapter):
    """simple-salesforce and zeep send no timeout by default: a dead connection would hang a run."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


@dataclass(frozen=True)
class WriteResult:
    full_name: str
    ok: bool
    message: str = ""


class SalesforceClient:
    def __init__(self, settings: Settings, target: str) -> None:
        self.settings = settings
        self.target = target
        self.requests = 0  # HTTP requests sent, for Snapshot.requests and the benchmark
        self._sf: Salesforce | None = None
        # Reads are tried READ_RETRIES more times, the n-th retry waiting about 2^(n-1) x retry_backoff_seconds.
        self.policy = retry.Policy(READ_RETRIES + 1, settings.backoff, max_delay=max(30.0, settings.backoff))
        self._rng = random.Random()
        self.gate = pool.Gate(settings.read_concurrency, retries=4 * self.policy.max_attempts)
        self._counting = threading.Lock()
        self._connecting = threading.Lock()

    # --- connection ------------------------------------------------------------------------------

    @property
    def sf(self) -> Salesforce:
        with self._connecting:  # concurrent reads: one login
            if self._sf is None:
                self._sf = self._connect()
            return self._sf

    @property
    def md(self) -> Any:
        return self.sf.mdapi

    def _connect(self) -> Salesforce:
        s = self.settings
        session = requests.Session()
        session.mount("https://", _TimeoutAdapter(s.timeout))
        session.hooks["response"].append(self._observe)  # every answer, REST and SOAP alike
        if "ca_bundle_env" in s.env:
            session.verify = s.secret("ca_bundle_env")
            # requests would prefer REQUESTS_CA_BUNDLE from the environment over session.verify.
            session.trust_env = False
        with self.translating("logging in"):
            if s.method == "session":
                sf = Salesforce(instance_url=s.instance_url, session_id=s.secret("session_env"),
                                session=session, version=s.api_version)
            elif s.method == "password":
                self.requests += 1
                sf = Salesforce(username=s.secret("username_env"), password=s.secret("password_env"),
                                security_token=s.secret("token_env", may_be_empty=True), domain=s.domain, session=session,
                                version=s.api_version)
            else:
                self.requests += 1
                sf = Salesforce(username=s.secret("username_env"), consumer_key=s.secret("client_id_env"),
                                privatekey=s.secret("jwt_key_env"), domain=s.domain,
                                instance_url=s.instance_url or None, session=session, version=s.api_version)
            # sf.mdapi builds its own zeep client: give it our session (TLS trust, timeouts, pooling).
            sf.mdapi._client.transport.session = session
        return sf

    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Every answer, logged for `--verbose` (crmconf.logs); and Sforce-Limit-Info:
        `api-usage=used/allocation`, the org's rolling 24-hour API allocation."""
        logs.request("salesforce", response.request.method or "?", response.url, response.status_code,
                     response.elapsed.total_seconds())
        found = _API_USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
        if found:
            used, allocation = int(found.group(1)), int(found.group(2))
            self.gate.observe("daily", allocation - used, DAY,
                              f"the org's daily API request allocation (api-usage={used}/{allocation})")

    def close(self) -> None:
        if self._sf is not None:
            self._sf.session.close()
            self._sf = None

    # --- errors ----------------------------------------------------------------------------------

    def _auth_problem(self) -> str:
        env = self.settings.env
        if self.settings.method == "session":
            return (f"the session in ${env['session_env']} expired or is not valid for {self.settings.instance_url}; "
                    f"get a fresh session id (for example `sf org display --target-org <alias>`) and export it "
                    f"as {env['session_env']}")
        return (f"Salesforce no longer accepts the login of ${env['username_env']}; check the credentials in "
                f"{', '.join(sorted(v for k, v in env.items() if k != 'ca_bundle_env'))}")

    def translate(self, exc: BaseException, what: str) -> ProviderError:
        """A vendor exception as a crmconf error: plain, with context, never holding a secret."""
        context = f"salesforce {what}"
        if isinstance(exc, ProviderError):
            return exc
        if isinstance(exc, SalesforceRefusedRequest) and "REQUEST_LIMIT_EXCEEDED" in _codes(exc.content):
            return LimitExceededError(
                f"Salesforce's API request limit is used up ({_rest_message(exc.content)}); nothing more was sent",
                context=context,
            )
        if isinstance(exc, SalesforceExpiredSession):
            return AuthError(self._auth_problem(), context=context)
        if isinstance(exc, SalesforceAuthenticationFailed):
            return AuthError(f"Salesforce refused the login: {exc.code}: {exc.message}", context=context)
        if isinstance(exc, SalesforceError):
            transient = isinstance(exc, SalesforceGeneralError) and exc.status >= 500
            return ProviderError(f"HTTP {exc.status}: {_rest_message(exc.content)}", context=context,
                                 retryable=transient)
        if isinstance(exc, zeep.exceptions.Fault):
            code = str(exc.code or "")
            if code.endswith("REQUEST_LIMIT_EXCEEDED"):
                return LimitExceededError(
                    f"Salesforce's API request limit is used up ({exc.message}); nothing more was sent",
                    context=context,
                )
            if code.endswith("INVALID_SESSION_ID"):
                return AuthError(self._auth_problem(), context=context)
            return ProviderError(f"{code}: {exc.message}", context=context,
                                 retryable=code.endswith("UNKNOWN_EXCEPTION"))
        if isinstance(exc, zeep.exceptions.Error):
            return ProviderError(f"{type(exc).__name__}: {exc}", context=context)
        if isinstance(exc, requests.exceptions.Timeout | requests.exceptions.ConnectionError):
            return ProviderError(f"no answer from Salesforce ({type(exc).__name__})", context=context,
                                 retryable=True)
        if isinstance(exc, requests.exceptions.RequestException):
            return ProviderError(f"{type(exc).__name__}: {exc}", context=context)
        raise exc  # not a vendor error: a bug, let the CLI report it as one

    @contextmanager
    def translating(self, what: str) -> Iterator[None]:
        try:
            yield
        except (SalesforceError, zeep.exceptions.Error, requests.exceptions.RequestException) as exc:
            raise self.translate(exc, what) from None

    def _call(self, what: str, fn: Callable[[], T], *, read: bool, cost: int = 1) -> T:
        """One HTTP request: counted, sent within the gate, translated, and retried under the shared policy
        (crmconf.engine.retry) when it is a read that failed transiently. `cost`: what it spends of the
        daily allocation (a Composite Batch, one per subrequest)."""
        def send() -> T:
            started = time.monotonic()
            with self.translating(what):
                try:
                    return fn()
                except requests.RequestException as exc:  # no answer, so no response hook: logged here
                    sent = exc.request
                    logs.request("salesforce", (sent.method if sent else None) or "?", (sent.url if sent else None)
                                 or self.settings.instance_url, f"no answer ({type(exc).__name__})",
                                 time.monotonic() - started)
                    raise

        def decide(exc: Exception, attempt: int) -> retry.Retry | None:
            if not (isinstance(exc, ProviderError) and read and exc.retryable) or attempt >= self.policy.max_attempts:
                return None
            return retry.Retry(self.policy.wait(attempt, self._rng), str(exc))

        return retry.run("salesforce", what, send, decide, gate=self.gate, policy=self.policy, sleep=time.sleep,
                         count=self._count, cost=cost)

    def _count(self) -> None:
        with self._counting:
            self.requests += 1

    # --- REST ------------------------------------------------------------------------------------

    def query(self, soql: str, *, tooling: bool = False) -> list[dict[str, Any]]:
        """Every row of a SOQL query, following nextRecordsUrl page by page (2,000 rows a page)."""
        what = "tooling query" if tooling else "query"
        if tooling:
            page = self._call(what, lambda: self.sf.restful("tooling/query/", params={"q": soql}), read=True)
        else:
            page = self._call(what, lambda: self.sf.query(soql), read=True)
        return self.rest_of(page or {}, what)

    def count(self, soql: str) -> int:
        """SELECT COUNT() ... : the number of matching rows, in one request."""
        page = self._call("count", lambda: self.sf.query(soql), read=True)
        return int(page.get("totalSize", 0))

    def rest_of(self, page: Mapping[str, Any], what: str = "query") -> list[dict[str, Any]]:
        rows = list(page.get("records", []))
        while not page.get("done", True) and page.get("nextRecordsUrl"):
            url = str(page["nextRecordsUrl"])
            page = self._call(f"{what} (next page)", lambda u=url: self.sf.query_more(u, identifier_is_url=True),  # type: ignore[misc]
                              read=True)
            rows.extend(page.get("records", []))
        return rows

    def query_url(self, soql: str) -> str:
        return f"/services/data/v{self.settings.api_version}/query/?q={quote(soql, safe='')}"

    def describe_url(self, sobject: str) -> str:
        return f"/services/data/v{self.settings.api_version}/sobjects/{sobject}/describe"

    def batch_get(self, gets: Mapping[str, str], optional: set[str] | frozenset[str] = frozenset()) -> Answers:
        """Many independent GETs in few round trips: Composite Batch requests of up to 25 subrequests.

        Composite Batch, not Composite: a /composite request may hold at most 5 queries (docs), and a
        plan's first read has 10-20 (users, processes, stage counts, permissions, ...); a batch takes
        25 queries and describes alike. Each subrequest counts against the org's daily API limit (a
        /composite would count once), which is the price of one round trip instead of four. Query
        results are followed page by page, each query's pages while the caller goes on: an answer
        whose pages are still coming is waited for when it is looked at (`Answers`). A GET named in
        `optional` that answers 400 yields None.
        """
        out: dict[str, Any] = {}
        items = list(gets.items())
        chunks = [items[i : i + COMPOSITE_BATCH] for i in range(0, len(items), COMPOSITE_BATCH)]
        workers = self.settings.read_concurrency
        replies = pool.run([partial(self._batch, chunk) for chunk in chunks], workers)
        for chunk, reply in zip(chunks, replies, strict=True):
            for (key, _), part in zip(chunk, reply.get("results", []), strict=True):
                status = int(part.get("statusCode", 500))
                if status == 400 and key in optional:
                    out[key] = None
                    continue
                if status >= 400:
                    raise self._sub_error(key, status, part.get("result"))
                out[key] = part.get("result")
        pending = {key: pool.Pending(partial(self._all_pages, first, key), start=workers > 1)
                   for key, first in out.items()
                   if isinstance(first, Mapping) and "records" in first and not first.get("done", True)}
        return Answers(out, pending)

    def _all_pages(self, first: Mapping[str, Any], key: str) -> dict[str, Any]:
        return {**first, "records": self.rest_of(first, key)}

    def _batch(self, chunk: list[tuple[str, str]]) -> dict[str, Any]:
        prefix = "/services/data/"
        body = {"haltOnError": False, "batchRequests": [
            {"method": "GET", "url": url.removeprefix(prefix)} for _, url in chunk]}
        reply = self._call("batch read", lambda: self.sf.restful("composite/batch", method="POST", json=body),
                           read=True, cost=len(chunk))
        return reply or {}

    def _sub_error(self, key: str, status: int, body: Any) -> ProviderError:
        codes = _codes(body)
        context = f"salesforce read {key}"
        if "REQUEST_LIMIT_EXCEEDED" in codes:
            return LimitExceededError(f"Salesforce's API request limit is used up ({_rest_message(body)})",
                                      context=context)
        if status == 401 or "INVALID_SESSION_ID" in codes:
            return AuthError(self._auth_problem(), context=context)
        return ProviderError(f"HTTP {status}: {_rest_message(body)}", context=context, retryable=status >= 500)

    def update_records(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """sObject Collections PATCH, 200 records a call, each record succeeding or failing alone."""
        results: list[dict[str, Any]] = []
        for i in range(0, len(records), COLLECTION_BATCH):
            chunk = records[i : i + COLLECTION_BATCH]
            body = {"allOrNone": False, "records": chunk}
            reply: Any = self._call("record update", lambda b=body: self.sf.restful(  # type: ignore[misc]
                "composite/sobjects", method="PATCH", json=b), read=False)
            results.extend(reply or [])
        return results

    def create_records(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """sObject Collections POST (each record carries `attributes.type`), 200 a call, each alone."""
        results: list[dict[str, Any]] = []
        for i in range(0, len(records), COLLECTION_BATCH):
            body = {"allOrNone": False, "records": records[i : i + COLLECTION_BATCH]}
            reply: Any = self._call("record create", lambda b=body: self.sf.restful(  # type: ignore[misc]
                "composite/sobjects", method="POST", json=b), read=False)
            results.extend(reply or [])
        return results

    def delete_records(self, ids: list[str]) -> list[dict[str, Any]]:
        """sObject Collections DELETE, 200 ids a call, each alone."""
        results: list[dict[str, Any]] = []
        for i in range(0, len(ids), COLLECTION_BATCH):
            params = {"ids": ",".join(ids[i : i + COLLECTION_BATCH]), "allOrNone": "false"}
            reply: Any = self._call("record delete", lambda p=params: self.sf.restful(  # type: ignore[misc]
                "composite/sobjects", method="DELETE", params=p), read=False)
            results.extend(reply or [])
        return results

    def tooling_patch(self, path: str, body: Mapping[str, Any], what: str) -> None:
        self._call(what, lambda: self.sf.toolingexecute(path, method="PATCH", data=dict(body)), read=False)

    # --- Metadata API ----------------------------------------------------------------------------

    def md_list(self, types: list[str]) -> list[dict[str, Any]]:
        query = self.md._client.get_type("ns0:ListMetadataQuery")

        def listing(chunk: list[str]) -> list[dict[str, Any]]:
            queries = [query(type=t) for t in chunk]
            got = self._call(f"listMetadata {', '.join(chunk)}", lambda: self.md.list_metadata(queries), read=True)
            return [serialize(p) for p in got or []]

        chunks = [types[i : i + LIST_BATCH] for i in range(0, len(types), LIST_BATCH)]
        return [p for part in pool.run([partial(listing, c) for c in chunks], self.settings.read_concurrency)
                for p in part]

    def md_read(self, type_name: str, names: list[str]) -> list[dict[str, Any] | None]:
        """Components by full name, in order; None where the org has no such component. The calls of
        10 go out concurrently (see the module docstring)."""

        def reading(chunk: list[str]) -> list[dict[str, Any] | None]:
            got = self._call(f"read {type_name}", lambda: getattr(self.md, type_name).read(chunk), read=True)
            records = got if isinstance(got, list) else [got]  # simple-salesforce unwraps a single result
            found = [serialize(record) if record is not None else None for record in records]
            return [data if data and data.get("fullName") else None for data in found]

        chunks = [names[i : i + MD_BATCH] for i in range(0, len(names), MD_BATCH)]
        return [c for part in pool.run([partial(reading, chunk) for chunk in chunks], self.settings.read_concurrency)
                for c in part]

    def md_write(self, operation: str, type_name: str, components: list[dict[str, Any]]) -> list[WriteResult]:
        """upsert/create/update, 10 a call, one result per component (success=false is not an exception).

        simple-salesforce's MetadataType.upsert raises one bare Exception for a whole call; calling the
        zeep service it wraps keeps the per-component results.
        """
        md = self.md
        factory = getattr(md, type_name)
        out: list[WriteResult] = []
        for i in range(0, len(components), MD_BATCH):
            typed = [factory(**c) for c in components[i : i + MD_BATCH]]
            service = getattr(md._service, operation)
            results = self._call(f"{operation} {type_name}", lambda t=typed, s=service: s(  # type: ignore[misc]
                t, _soapheaders=[md._session_header]), read=False)
            out.extend(_write_results(results))
        return out

    def md_delete(self, type_name: str, names: list[str]) -> list[WriteResult]:
        md = self.md
        out: list[WriteResult] = []
        for i in range(0, len(names), MD_BATCH):
            chunk = names[i : i + MD_BATCH]
            results = self._call(f"delete {type_name}", lambda c=chunk: md._service.deleteMetadata(  # type: ignore[misc]
                type_name, c, _soapheaders=[md._session_header]), read=False)
            out.extend(_write_results(results))
        return out


DAY = 86_400.0
_API_USAGE = re.compile(r"(?:^|[\s,;])api-usage=(\d+)/(\d+)")


class Answers(Mapping[str, Any]):
    """batch_get's answers by key; a query whose further pages are still being read is waited for when
    it is looked at, so what needs only first pages goes on meanwhile. `settle` waits for them all and
    raises the first failure (in the order asked), so none goes unnoticed."""

    def __init__(self, ready: dict[str, Any], pending: dict[str, pool.Pending[dict[str, Any]]]) -> None:
        self._ready, self._pending = ready, pending

    def __getitem__(self, key: str) -> Any:
        if key in self._pending:
            return self._pending[key].result()
        return self._ready[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ready)

    def __len__(self) -> int:
        return len(self._ready)

    def __contains__(self, key: object) -> bool:
        return key in self._ready

    def settle(self) -> None:
        for key in self._ready:
            self[key]


def _write_results(results: Any) -> list[WriteResult]:
    out = []
    for r in results or []:
        message = "; ".join(f"{e.statusCode}: {e.message}" for e in (r.errors or []))
        out.append(WriteResult(str(r.fullName or ""), bool(r.success), message))
    return out


def _codes(content: Any) -> set[str]:
    if isinstance(content, list):
        return {str(e.get("errorCode")) for e in content if isinstance(e, Mapping)}
    return set()


def _rest_message(content: Any) -> str:
    if isinstance(content, list) and content and isinstance(content[0], Mapping):
        return "; ".join(f"{e.get('errorCode')}: {e.get('message')}" for e in content if isinstance(e, Mapping))
    text = content.decode(errors="replace") if isinstance(content, bytes) else str(content)
    return text[:500]


def by_name(results: list[WriteResult], names: list[str]) -> dict[str, WriteResult]:
    """Results keyed by lower-case full name (Salesforce may echo a name in its own case)."""
    keyed = {r.full_name.lower(): r for r in results if r.full_name}
    for name, r in zip(names, results, strict=False):
        keyed.setdefault(name.lower(), r)
    return keyed
