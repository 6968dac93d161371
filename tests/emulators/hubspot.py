"""A loopback HubSpot: real HTTP on 127.0.0.1 speaking HubSpot's v3 CRM, v4 automation and settings APIs.

Providers are tested by pointing the real `hubspot.HubSpot` client at `HubSpotEmulator.base_url`
(see VENDOR-APIS.md): status codes, bodies, paging and error shapes are HubSpot's, and the shared
`Faults` switches turn requests into 429s, 5xxs, stalls, dropped connections or partial batches.

    with HubSpotEmulator() as emu:
        client = HubSpot(access_token=emu.token, host=emu.base_url, base_url=emu.base_url)

Standalone: `python -m tests.emulators.hubspot --port 0 [--latency-ms N]`.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import re
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.emulators import hubspot_performance as performance
from tests.emulators.faults import Fault, Faults, RequestLog, Rule
from tests.emulators.hubspot_scopes import ALL_SCOPES, missing_scopes_body
from tests.emulators.hubspot_scopes import required as required_scopes
from tests.emulators.hubspot_seed import add_user as seed_user
from tests.emulators.hubspot_seed import seed_default_portal, seed_minimal_portal, seed_scale_portal
from tests.emulators.hubspot_state import (
    JSON,
    LIFECYCLE_OBJECTS,
    PIPELINE_OBJECTS,
    RECORD_TYPE_IDS,
    HubSpotError,
    Portal,
)

__all__ = ["HubSpotEmulator", "Mutation", "main", "seed_scale"]

# HubSpot's published limits for a Professional private app; reported on every response.
RATE_LIMIT_MAX, RATE_LIMIT_INTERVAL_MS, RATE_LIMIT_SECONDLY, RATE_LIMIT_DAILY = 190, 10_000, 19, 650_000
SEARCH_PER_SECOND = 5  # [docs] the CRM search endpoints' own limit
TOKEN_INFO_PATH = "/oauth/v2/private-apps/get/access-token-info"


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # a non-JSON body (a file download), sent as `raw_type`
    raw_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Mutation:
    """A write the portal performed (a 2xx answer to a writing request).

    Tests assert on effects rather than requests: a write retried after a lost answer is two requests
    but must stay one effect. `touched` lists what changed, each thing as its aliases: `property
    deals/arr`, `group deals/commercial`, `pipeline deals/New Business` + `pipeline deals#75000001`,
    `stage deals/New Business/Discovery` + `stage deals#150000001`, `flow [crmconf] x` + `flow
    #1500101`, `records deals`. `created` names what came into being, by its first alias.
    """

    method: str
    path: str
    status: int
    touched: tuple[tuple[str, ...], ...]
    created: tuple[str, ...]


@dataclass
class Call:
    """One request as a route handler sees it."""

    params: dict[str, str]
    query: dict[str, list[str]]
    body: Any
    partial: bool  # the `partial` fault is active for this request
    link: str  # absolute URL of this path, for `paging.next.link`
    raw: bytes = b""  # the body as sent (multipart uploads are not JSON)
    content_type: str = ""

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def flag(self, name: str) -> bool:
        return (self.arg(name) or "false").lower() == "true"

    def number(self, name: str, default: int) -> int:
        raw = self.arg(name)
        if raw is None:
            return default
        if not raw.isdigit():
            raise HubSpotError(400, "VALIDATION_ERROR", f"{name} must be a positive integer")
        return int(raw)

    def names(self, name: str) -> list[str] | None:
        """A multi-valued query parameter; HubSpot also accepts comma-separated values."""
        values = [v for raw in self.query.get(name, []) for v in raw.split(",") if v]
        return values or None

    @property
    def first_query(self) -> dict[str, str]:
        return {k: v[0] for k, v in self.query.items() if v}


Handler = Callable[[Portal, Call], Reply]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []
_SEG = r"[^/]+"
SIGNED_PREFIX = "/_emulator-cdn/"  # where signed URLs of private files point (HubSpot's CDN, here)


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register a handler; `{name}` in the pattern is one path segment. First match wins."""
    regex = re.compile(re.sub(r"\{(\w+)\}", lambda m: f"(?P<{m.group(1)}>{_SEG})", pattern))

    def register(handler: Handler) -> Handler:
        ROUTES.append((method, regex, handler))
        return handler

    return register


def ok(body: Any) -> Reply:
    return Reply(200, body)


def results(items: list[JSON]) -> Reply:
    return Reply(200, {"results": items})


def pipeline_object(call: Call) -> str:
    """Pipelines that can be written: deals and tickets. Contacts and companies have one lifecycle
    pipeline each, readable only (`lifecycle_object`)."""
    obj = Portal.object_type(call.params["obj"], (*PIPELINE_OBJECTS, *LIFECYCLE_OBJECTS))
    if obj in LIFECYCLE_OBJECTS:
        raise HubSpotError(400, "VALIDATION_ERROR",
                           f"The {obj} lifecycle pipeline cannot be changed through the pipelines API; edit "
                           "lifecycle stages in Settings")
    return obj


def readable_pipeline_object(call: Call) -> str:
    return Portal.object_type(call.params["obj"], (*PIPELINE_OBJECTS, *LIFECYCLE_OBJECTS))


def crm_object(call: Call) -> str:
    return Portal.object_type(call.params["obj"], RECORD_TYPE_IDS)


# ---- pipelines and stages ----------------------------------------------------------------------

@route("GET", "/crm/v3/pipelines/{obj}")
def _list_pipelines(p: Portal, c: Call) -> Reply:
    return results(p.list_pipelines(readable_pipeline_object(c)))


@route("POST", "/crm/v3/pipelines/{obj}")
def _create_pipeline(p: Portal, c: Call) -> Reply:
    return Reply(201, p.create_pipeline(pipeline_object(c), c.body))


@route("GET", "/crm/v3/pipelines/{obj}/{pid}")
def _get_pipeline(p: Portal, c: Call) -> Reply:
    return ok(p.get_pipeline(readable_pipeline_object(c), c.params["pid"]))


@route("PUT", "/crm/v3/pipelines/{obj}/{pid}")
def _replace_pipeline(p: Portal, c: Call) -> Reply:
    return ok(p.replace_pipeline(pipeline_object(c), c.params["pid"], c.body, c.first_query))


@route("PATCH", "/crm/v3/pipelines/{obj}/{pid}")
def _update_pipeline(p: Portal, c: Call) -> Reply:
    return ok(p.update_pipeline(pipeline_object(c), c.params["pid"], c.body, c.first_query))


@route("DELETE", "/crm/v3/pipelines/{obj}/{pid}")
def _archive_pipeline(p: Portal, c: Call) -> Reply:
    p.archive_pipeline(pipeline_object(c), c.params["pid"], c.first_query)
    return Reply(204)


@route("GET", "/crm/v3/pipelines/{obj}/{pid}/stages")
def _list_stages(p: Portal, c: Call) -> Reply:
    return results(p.list_stages(readable_pipeline_object(c), c.params["pid"]))


@route("POST", "/crm/v3/pipelines/{obj}/{pid}/stages")
def _create_stage(p: Portal, c: Call) -> Reply:
    return Reply(201, p.create_stage(pipeline_object(c), c.params["pid"], c.body))


@route("GET", "/crm/v3/pipelines/{obj}/{pid}/stages/{sid}")
def _get_stage(p: Portal, c: Call) -> Reply:
    return ok(p.get_stage(readable_pipeline_object(c), c.params["pid"], c.params["sid"]))


@route("PUT", "/crm/v3/pipelines/{obj}/{pid}/stages/{sid}")
def _replace_stage(p: Portal, c: Call) -> Reply:
    return ok(p.replace_stage(pipeline_object(c), c.params["pid"], c.params["sid"], c.body))


@route("PATCH", "/crm/v3/pipelines/{obj}/{pid}/stages/{sid}")
def _update_stage(p: Portal, c: Call) -> Reply:
    return ok(p.update_stage(pipeline_object(c), c.params["pid"], c.params["sid"], c.body))


@route("DELETE", "/crm/v3/pipelines/{obj}/{pid}/stages/{sid}")
def _archive_stage(p: Portal, c: Call) -> Reply:
    p.archive_stage(pipeline_object(c), c.params["pid"], c.params["sid"], c.first_query)
    return Reply(204)


# ---- properties and groups (groups and batch routes come before `{name}`) --------------------------

@route("GET", "/crm/v3/properties/{obj}/groups")
def _list_groups(p: Portal, c: Call) -> Reply:
    return results(p.list_groups(crm_object(c)))


@route("POST", "/crm/v3/properties/{obj}/groups")
def _create_group(p: Portal, c: Call) -> Reply:
    return Reply(201, p.create_group(crm_object(c), c.body))


@route("GET", "/crm/v3/properties/{obj}/groups/{name}")
def _get_group(p: Portal, c: Call) -> Reply:
    return ok(p.get_group(crm_object(c), c.params["name"]))


@route("PATCH", "/crm/v3/properties/{obj}/groups/{name}")
def _update_group(p: Portal, c: Call) -> Reply:
    return ok(p.update_group(crm_object(c), c.params["name"], c.body))


@route("DELETE", "/crm/v3/properties/{obj}/groups/{name}")
def _archive_group(p: Portal, c: Call) -> Reply:
    p.archive_group(crm_object(c), c.params["name"])
    return Reply(204)


@route("POST", "/crm/v3/properties/{obj}/batch/read")
def _batch_read_properties(p: Portal, c: Call) -> Reply:
    return Reply(*p.batch_read_properties(crm_object(c), c.body))


@route("POST", "/crm/v3/properties/{obj}/batch/create")
def _batch_create_properties(p: Portal, c: Call) -> Reply:
    return Reply(*p.batch_create_properties(crm_object(c), c.body, c.partial))


@route("POST", "/crm/v3/properties/{obj}/batch/archive")
def _batch_archive_properties(p: Portal, c: Call) -> Reply:
    return Reply(*p.batch_archive_properties(crm_object(c), c.body, c.partial))


@route("GET", "/crm/v3/properties/{obj}")
def _list_properties(p: Portal, c: Call) -> Reply:
    return results(p.list_properties(crm_object(c), c.flag("archived"), c.arg("dataSensitivity")))


@route("POST", "/crm/v3/properties/{obj}")
def _create_property(p: Portal, c: Call) -> Reply:
    return Reply(201, p.create_property(crm_object(c), c.body))


@route("GET", "/crm/v3/properties/{obj}/{name}")
def _get_property(p: Portal, c: Call) -> Reply:
    return ok(p.get_property(crm_object(c), c.params["name"], c.flag("archived")))


@route("PATCH", "/crm/v3/properties/{obj}/{name}")
def _update_property(p: Portal, c: Call) -> Reply:
    return ok(p.update_property(crm_object(c), c.params["name"], c.body))


@route("DELETE", "/crm/v3/properties/{obj}/{name}")
def _archive_property(p: Portal, c: Call) -> Reply:
    p.archive_property(crm_object(c), c.params["name"])
    return Reply(204)


# ---- property validation rules ----------------------------------------------------------------

@route("GET", "/crm/v3/property-validations/{obj}")
def _list_validations(p: Portal, c: Call) -> Reply:
    return results(p.validations.for_object(crm_object(c)))


@route("GET", "/crm/v3/property-validations/{obj}/{name}")
def _get_validations(p: Portal, c: Call) -> Reply:
    obj = crm_object(c)
    p.get_property(obj, c.params["name"])  # 404 for an unknown property
    return results(p.validations.for_property(obj, c.params["name"]))


@route("GET", "/crm/v3/property-validations/{obj}/{name}/rule-type/{rule}")
def _get_validation(p: Portal, c: Call) -> Reply:
    return ok(p.validations.rule(crm_object(c), c.params["name"], c.params["rule"]))


@route("PUT", "/crm/v3/property-validations/{obj}/{name}/rule-type/{rule}")
def _put_validation(p: Portal, c: Call) -> Reply:
    obj = crm_object(c)
    prop = p.get_property(obj, c.params["name"])
    p.validations.put(obj, prop, c.params["rule"], c.body)
    return Reply(204)


# ---- CRM records -------------------------------------------------------------------------------

@route("POST", "/crm/v3/objects/{obj}/search")
def _search(p: Portal, c: Call) -> Reply:
    return ok(p.search(crm_object(c), c.body, c.link))


@route("POST", "/crm/v3/objects/{obj}/batch/update")
def _batch_update_records(p: Portal, c: Call) -> Reply:
    return Reply(*p.batch_update_records(crm_object(c), c.body, c.partial))


@route("GET", "/crm/v3/objects/{obj}")
def _list_records(p: Portal, c: Call) -> Reply:
    return ok(p.list_records(crm_object(c), limit=c.number("limit", 10), after=c.arg("after"),
                             wanted=c.names("properties"), archived=c.flag("archived"), link=c.link))


@route("POST", "/crm/v3/objects/{obj}")
def _create_record(p: Portal, c: Call) -> Reply:
    obj = crm_object(c)
    values = (c.body or {}).get("properties") if isinstance(c.body, dict) else None
    if values is None:
        raise HubSpotError(400, "VALIDATION_ERROR", "Some required fields were not set: [properties]")
    record = p.create_record(obj, values)
    return Reply(201, p.render_record(obj, record, list(values)))


@route("GET", "/crm/v3/objects/{obj}/{rid}")
def _get_record(p: Portal, c: Call) -> Reply:
    return ok(p.get_record(crm_object(c), c.params["rid"], c.names("properties")))


@route("PATCH", "/crm/v3/objects/{obj}/{rid}")
def _update_record(p: Portal, c: Call) -> Reply:
    obj = crm_object(c)
    values = (c.body or {}).get("properties") if isinstance(c.body, dict) else None
    record = p.update_record(obj, c.params["rid"], values)
    return ok(p.render_record(obj, record, list(values or {})))


# ---- workflows (v4) ----------------------------------------------------------------------------

@route("GET", "/automation/v4/flows")
def _list_flows(p: Portal, c: Call) -> Reply:
    return ok(p.list_flows(c.number("limit", 100), c.arg("after"), c.link))


@route("POST", "/automation/v4/flows")
def _create_flow(p: Portal, c: Call) -> Reply:
    return Reply(201, p.create_flow(c.body))


@route("POST", "/automation/v4/flows/batch/read")
def _batch_read_flows(p: Portal, c: Call) -> Reply:
    return Reply(*p.batch_read_flows(c.body))


@route("GET", "/automation/v4/flows/{fid}")
def _get_flow(p: Portal, c: Call) -> Reply:
    return ok(p.get_flow(c.params["fid"]))


@route("PUT", "/automation/v4/flows/{fid}")
def _replace_flow(p: Portal, c: Call) -> Reply:
    return ok(p.replace_flow(c.params["fid"], c.body))


@route("DELETE", "/automation/v4/flows/{fid}")
def _delete_flow(p: Portal, c: Call) -> Reply:
    p.delete_flow(c.params["fid"])
    return Reply(204)


# ---- workflow performance (legacy v3, keyed by the v3 workflow id; hubspot_performance) ----------

@route("POST", "/automation/v4/workflow-id-mappings/batch/read")
def _workflow_id_mappings(p: Portal, c: Call) -> Reply:
    return Reply(*performance.id_mappings(p, c.body))


@route("GET", "/automation/v3/performance/workflow/{wid}")
def _workflow_performance(p: Portal, c: Call) -> Reply:
    return ok(performance.performance(p, c.params["wid"], c.arg("start"), c.arg("end"), c.arg("bucket")))


# ---- users, roles, teams, owners ----------------------------------------------------------------

@route("GET", "/settings/v3/users")
def _list_users(p: Portal, c: Call) -> Reply:
    return ok(p.list_users(c.number("limit", 100), c.arg("after"), c.link))


@route("GET", "/settings/v3/users/roles")
def _list_roles(p: Portal, c: Call) -> Reply:
    return results(copy.deepcopy(list(p.roles.values())))


@route("GET", "/settings/v3/users/teams")
def _list_teams(p: Portal, c: Call) -> Reply:
    return results(copy.deepcopy(list(p.teams.values())))


@route("GET", "/settings/v3/users/{uid}")
def _get_user(p: Portal, c: Call) -> Reply:
    return ok(p.get_user(c.params["uid"], c.arg("idProperty")))


@route("GET", "/crm/v3/owners")
def _list_owners(p: Portal, c: Call) -> Reply:
    return ok(p.list_owners(email=c.arg("email"), archived=c.flag("archived"),
                            limit=c.number("limit", 100), after=c.arg("after"), link=c.link))


@route("GET", "/crm/v3/owners/{oid}")
def _get_owner(p: Portal, c: Call) -> Reply:
    return ok(p.get_owner(c.params["oid"], c.arg("idProperty"), c.flag("archived")))


# ---- effects (for tests: what a write did to the portal) --------------------------------------------

_READS = {"_search", "_batch_read_properties", "_batch_read_flows", "_token_info", "_workflow_id_mappings"}  # POSTs that change nothing


def _pipeline_keys(obj: str, pipeline: JSON) -> list[str]:
    return [f"pipeline {obj}/{pipeline['label']}", f"pipeline {obj}#{pipeline['id']}"]


def _stage_keys(obj: str, pipeline_label: str, stage: JSON) -> list[str]:
    return [f"stage {obj}/{pipeline_label}/{stage['label']}", f"stage {obj}#{stage['id']}"]


def _stage_in_state(p: Portal, obj: str, pid: str, sid: str) -> tuple[JSON, JSON] | None:
    pipeline = p.pipelines[obj].get(pid)
    stage = next((s for s in (pipeline or {}).get("stages", []) if s["id"] == sid), None)
    return (pipeline, stage) if pipeline is not None and stage is not None else None


def _effects(name: str, p: Portal, c: Call, reply: Reply) -> tuple[list[list[str]], list[str]]:
    """(touched, created) by a successful write, read from the request, the answer and the state after it."""
    raw_obj = c.params.get("obj")
    obj = Portal.object_type(raw_obj) if raw_obj else ""
    body = reply.body if isinstance(reply.body, dict) else {}
    if name == "_create_property":
        return [[f"property {obj}/{body['name']}"]], [f"property {obj}/{body['name']}"]
    if name == "_batch_create_properties":
        names = [f"property {obj}/{r['name']}" for r in body.get("results", [])]
        return [[n] for n in names], names
    if name in ("_update_property", "_archive_property"):
        return [[f"property {obj}/{c.params['name']}"]], []
    if name == "_batch_archive_properties":
        refused = {n for e in body.get("errors", []) for n in (e.get("context") or {}).get("name", [])}
        names = [str(i.get("name")) for i in (c.body or {}).get("inputs", []) if isinstance(i, dict)]
        return [[f"property {obj}/{n}"] for n in names if n not in refused], []
    if name in ("_create_group", "_update_group", "_archive_group"):
        key = f"group {obj}/{c.params.get('name') or body.get('name')}"
        return [[key]], [key] if name == "_create_group" else []
    if name == "_create_pipeline":
        stages = [_stage_keys(obj, body["label"], s) for s in body["stages"]]
        return [_pipeline_keys(obj, body), *stages], [_pipeline_keys(obj, body)[0], *(s[0] for s in stages)]
    if name in ("_replace_pipeline", "_update_pipeline", "_archive_pipeline"):
        return [_pipeline_keys(obj, p.pipelines[obj][c.params["pid"]])], []
    if name in ("_create_stage", "_replace_stage", "_update_stage", "_archive_stage"):
        sid = str(body.get("id") or c.params.get("sid"))
        found = _stage_in_state(p, obj, c.params["pid"], sid)
        if found is None:
            return [[f"stage {obj}#{sid}"]], []
        keys = _stage_keys(obj, found[0]["label"], found[1])
        return [keys], keys[:1] if name == "_create_stage" else []
    if name in ("_batch_update_records", "_update_record", "_create_record"):
        return [[f"records {obj}"]], []
    if name == "_create_flow":
        return [[f"flow {body['name']}", f"flow #{body['id']}"]], [f"flow {body['name']}"]
    if name == "_replace_flow":
        return [[f"flow {body.get('name')}", f"flow #{c.params['fid']}"]], []
    if name == "_delete_flow":
        return [[f"flow #{c.params['fid']}"]], []
    if name == "_put_validation":
        # A rule belongs to its property: the write is a change of that property.
        return [[f"property {obj}/{c.params['name']}", f"validation {obj}/{c.params['name']}/{c.params['rule']}"]], []
    if name in ("_upload_file", "_replace_file", "_archive_file"):  # crmconf's own documents (hubspot_files)
        key = f"file {body.get('path') or c.params.get('fid')}"
        return [[key]], [key] if name == "_upload_file" else []
    return [[f"unknown {name}"]], []


# ---- HTTP plumbing -----------------------------------------------------------------------------

def error_reply(status: int, category: str, message: str) -> Reply:
    return Reply(status, HubSpotError(status, category, message).body())


class _RateWindow:
    """Counts requests in HubSpot's rolling windows, to fill the X-HubSpot-RateLimit-* headers.

    Informational only: the emulator never throttles by itself; a `rate_limit` fault does."""

    def __init__(self) -> None:
        self._stamps: deque[float] = deque()
        self._daily = 0
        self._lock = threading.Lock()

    def hit(self) -> dict[str, str]:
        now = time.monotonic()
        with self._lock:
            self._stamps.append(now)
            self._daily += 1
            while self._stamps and now - self._stamps[0] > RATE_LIMIT_INTERVAL_MS / 1000:
                self._stamps.popleft()
            in_second = sum(1 for t in self._stamps if now - t <= 1.0)
            return rate_headers(max(0, RATE_LIMIT_MAX - len(self._stamps)),
                                max(0, RATE_LIMIT_SECONDLY - in_second),
                                max(0, RATE_LIMIT_DAILY - self._daily))


def rate_headers(remaining: int, secondly_remaining: int, daily_remaining: int) -> dict[str, str]:
    return {"X-HubSpot-RateLimit-Max": str(RATE_LIMIT_MAX), "X-HubSpot-RateLimit-Remaining": str(remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(RATE_LIMIT_INTERVAL_MS),
            "X-HubSpot-RateLimit-Secondly": str(RATE_LIMIT_SECONDLY),
            "X-HubSpot-RateLimit-Secondly-Remaining": str(secondly_remaining),
            "X-HubSpot-RateLimit-Daily": str(RATE_LIMIT_DAILY),
            "X-HubSpot-RateLimit-Daily-Remaining": str(daily_remaining)}


def search_limited_reply() -> Reply:
    body = {"status": "error", "message": "You have reached your secondly limit.", "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()), "policyName": "SECONDLY"}
    return Reply(429, body, {**rate_headers(RATE_LIMIT_MAX, 0, RATE_LIMIT_DAILY), "Retry-After": "1"})


def _object_or_none(raw: str | None) -> str | None:
    try:
        return Portal.object_type(raw) if raw else None
    except HubSpotError:
        return None  # the handler answers the 400 itself


def rate_limited_reply() -> Reply:
    body = {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT", "correlationId": str(uuid.uuid4()),
            "policyName": "TEN_SECONDLY_ROLLING"}
    return Reply(429, body, {**rate_headers(0, 0, RATE_LIMIT_DAILY), "Retry-After": "1"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    emulator: HubSpotEmulator

    def __init__(self, address: tuple[str, int], emulator: HubSpotEmulator) -> None:
        self.emulator = emulator
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        # Tracked so stop() can cut idle keep-alive connections instead of leaving them hanging.
        with self.sockets_lock:
            self.open_sockets.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.sockets_lock:
                self.open_sockets.discard(request)

    def close_open_sockets(self) -> None:
        with self.sockets_lock:
            for sock in list(self.open_sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            # A client that gave up (its timeout) closed the connection while the answer was being written:
            # what a real server sees as a broken pipe, and prints no traceback for.
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as HubSpot's edge does
    server_version = "emulated-hubspot"
    sys_version = ""
    timeout = 30  # an idle keep-alive connection is dropped after this
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's delayed
    # ACK (~40 ms a response), a stall no production HTTP server has. Latency is the `latency_s` switch.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read the RequestLog instead

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        emu = self.server.emulator
        path = urlsplit(self.path).path
        emu.requests.record(self.command, path)
        emu.record_arrival(self.command, path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        rule = emu.faults.take(self.command, path)
        kind = rule.kind if rule else None
        if kind is Fault.RATE_LIMIT:
            return self._send(rate_limited_reply())
        if kind is Fault.SERVER_ERROR:
            return self._send(emu.server_error_reply())
        if rule and kind in (Fault.TIMEOUT, Fault.DROP) and not rule.applied_effect:
            return self._fail(rule)
        reply = emu.dispatch(self.command, self.path, raw, self.headers.get("Authorization"),
                             partial=kind is Fault.PARTIAL, content_type=self.headers.get("Content-Type", ""))
        if rule and kind in (Fault.TIMEOUT, Fault.DROP):
            return self._fail(rule)  # the effect happened; the answer is lost
        self._send(reply)

    def _fail(self, rule: Rule) -> None:
        """No answer at all: stall first for a timeout, then close the connection."""
        if rule.kind is Fault.TIMEOUT:
            time.sleep(self.server.emulator.faults.timeout_stall_s)
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, reply: Reply) -> None:
        if reply.raw is not None:
            return self._send_raw(reply)
        payload = b"" if reply.body is None else json.dumps(reply.body, separators=(",", ":")).encode()
        self.send_response(reply.status)
        headers = {**self.server.emulator.rate.hit(), **reply.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("X-HubSpot-Correlation-Id", str(uuid.uuid4()))
        if payload:
            self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


    def _send_raw(self, reply: Reply) -> None:
        payload = reply.raw or b""
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.raw_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class HubSpotEmulator:
    """A HubSpot portal on 127.0.0.1 with its state, fault switches and request counter."""

    def __init__(self, *, token: str = "pat-na1-emulator-token", seed: bool = True, port: int = 0,
                 scopes: frozenset[str] | None = None, search_per_second: int = SEARCH_PER_SECOND) -> None:
        self.token = token
        # Private-app tokens and the scopes each was granted (the default token has them all).
        self.tokens: dict[str, frozenset[str]] = {token: ALL_SCOPES if scopes is None else frozenset(scopes)}
        self.search_per_second = search_per_second
        self._searches: deque[float] = deque()
        self.faults = Faults()
        self.requests = RequestLog()
        self.rate = _RateWindow()
        self.portal = Portal()
        (seed_default_portal if seed else seed_minimal_portal)(self.portal)
        self.base_url = ""
        self._port = port
        self._lock = threading.RLock()  # one portal, many handler threads
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._server_errors = 0
        self._seed = seed
        self._mutations: list[Mutation] = []
        self._sequence: list[tuple[str, str]] = []  # every request in arrival order, as (method, path)

    # ---- lifecycle ----

    def start(self) -> HubSpotEmulator:
        if self._server is None:
            self._server = _Server(("127.0.0.1", self._port), self)
            port = self._server.server_address[1]
            self.base_url = f"http://127.0.0.1:{port}"
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name=f"hubspot-emulator-{port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_open_sockets()
        server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> HubSpotEmulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def reset(self, *, seed: bool | None = None) -> None:
        """Back to a freshly seeded portal with no fault rules and empty logs, on the same port, so one
        server can run many scenarios (users added since must be added again). `seed` overrides the
        constructor's choice of the default (True) or minimal (False) portal for this reset."""
        with self._lock:
            self.portal = Portal()
            (seed_default_portal if (self._seed if seed is None else seed) else seed_minimal_portal)(self.portal)
            self.faults.clear()
            self.requests.reset()
            self.rate = _RateWindow()  # a fresh portal has its whole rate allowance
            self._mutations.clear()
            self._sequence.clear()
            self._searches.clear()

    def roll_rate_window(self) -> None:
        """As if HubSpot's rolling windows had passed: the next answers announce the whole allowance
        again (a benchmark's back-to-back runs would otherwise spend each other's)."""
        with self._lock:
            self.rate = _RateWindow()

    def mutations(self) -> list[Mutation]:
        """The writes performed since the start (or the last `reset`/`clear_logs`), in order."""
        with self._lock:
            return list(self._mutations)

    def sequence(self) -> list[tuple[str, str]]:
        """Every request received, in arrival order (faulted and retried ones included)."""
        with self._lock:
            return list(self._sequence)

    def record_arrival(self, method: str, path: str) -> None:
        with self._lock:
            self._sequence.append((method, path))

    def clear_logs(self) -> None:
        with self._lock:
            self.requests.reset()
            self._mutations.clear()
            self._sequence.clear()

    @property
    def validate_deletes_by_default(self) -> bool:
        """Whether pipeline/stage deletes refuse in-use stages when the request does not say (see Portal)."""
        return self.portal.validate_deletes_by_default

    @validate_deletes_by_default.setter
    def validate_deletes_by_default(self, value: bool) -> None:
        self.portal.validate_deletes_by_default = value

    # ---- request dispatch ----

    def add_token(self, token: str, scopes: frozenset[str] | set[str] | tuple[str, ...]) -> str:
        """Another private app on this portal, granted exactly `scopes`."""
        with self._lock:
            self.tokens[token] = frozenset(scopes)
        return token

    def dispatch(self, method: str, target: str, raw: bytes, authorization: str | None, *,
                 partial: bool = False, content_type: str = "") -> Reply:
        parts = urlsplit(target)
        signed = parts.path.startswith(SIGNED_PREFIX)  # a signed file URL carries its own authority
        path = parts.path.rstrip("/") or "/"
        if (method, path) == ("POST", TOKEN_INFO_PATH):
            return self._token_info(raw)
        granted = self.tokens.get((authorization or "").removeprefix("Bearer "))
        if granted is None or not (authorization or "").startswith("Bearer "):
            if not signed:
                return self._unauthorized(authorization)
            granted = frozenset()
        matched_path = False
        for method_, regex, handler in ROUTES:
            match = regex.fullmatch(path)
            if match is None:
                continue
            matched_path = True
            if method_ == method:
                query = parse_qs(parts.query, keep_blank_values=True)
                obj = match.groupdict().get("obj")
                needed = required_scopes(handler.__name__, method, _object_or_none(obj), query)
                needed = self._sensitive_scopes(handler.__name__, method, obj, match.groupdict().get("name")) or needed
                if needed and not granted & set(needed):
                    return Reply(403, missing_scopes_body(needed))
                if handler.__name__ == "_search" and not self._search_allowed():
                    return search_limited_reply()
                return self._run(handler, method, match.groupdict(), parts.query, raw, partial, path, content_type)
        if matched_path:
            return error_reply(405, "VALIDATION_ERROR", f"HTTP 405 Method Not Allowed: {method} {path}")
        return error_reply(404, "OBJECT_NOT_FOUND", f"No API at {method} {path}")

    def _run(self, handler: Handler, method: str, params: dict[str, str], query: str, raw: bytes,
             partial: bool, path: str, content_type: str = "") -> Reply:
        try:
            body = json.loads(raw) if raw.strip() and not content_type.startswith("multipart/") else None
        except ValueError as err:
            return error_reply(400, "VALIDATION_ERROR", f"Invalid input JSON on line 1: {err}")
        call = Call(params, parse_qs(query, keep_blank_values=True), body, partial, self.base_url + path,
                    raw, content_type)
        try:
            with self._lock:
                reply = handler(self.portal, call)
                if method != "GET" and reply.status < 300 and handler.__name__ not in _READS:
                    touched, created = _effects(handler.__name__, self.portal, call, reply)
                    self._mutations.append(Mutation(method, path, reply.status, tuple(map(tuple, touched)),
                                                   tuple(created)))
                return reply
        except HubSpotError as err:
            return Reply(err.status, err.body())
        except Exception:  # an emulator bug must be loud but still answer like HubSpot would
            traceback.print_exc()
            return error_reply(500, "INTERNAL_ERROR", "internal error")

    def _sensitive_scopes(self, handler: str, method: str, obj: str | None, name: str | None) -> tuple[str, ...]:
        """A sensitive property, read or written by name, needs the object's sensitive scope ([docs])."""
        kind = _object_or_none(obj)
        if handler not in ("_get_property", "_update_property", "_archive_property") or not kind or not name:
            return ()
        with self._lock:
            prop = self.portal.properties[kind].get(name)
        level = (prop or {}).get("dataSensitivity", "none")
        if level == "none":
            return ()
        access = "read" if method == "GET" else "write"
        return (f"crm.objects.{kind}.{'sensitive' if level == 'standard' else 'highly_sensitive'}.{access}.v2",)

    def _search_allowed(self) -> bool:
        """[docs] CRM search has its own per-second limit per token, on top of the general ones."""
        now = time.monotonic()
        with self._lock:
            while self._searches and now - self._searches[0] >= 1.0:
                self._searches.popleft()
            if len(self._searches) >= self.search_per_second:
                return False
            self._searches.append(now)
            return True

    def _token_info(self, raw: bytes) -> Reply:
        """[docs] private apps: POST the token as `tokenKey` to learn its portal, app and scopes."""
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            body = {}
        token = body.get("tokenKey") if isinstance(body, dict) else None
        scopes = self.tokens.get(str(token)) if token else None
        if scopes is None:
            return error_reply(400, "VALIDATION_ERROR", "The access token could not be found")
        return Reply(200, {"userId": 9100001, "hubId": 24051988, "appId": 3200001, "scopes": sorted(scopes)})

    def _unauthorized(self, authorization: str | None) -> Reply:
        if not authorization:
            message = ("Authentication credentials not found. This API supports OAuth 2.0 authentication "
                       "and you can find more details at https://developers.hubspot.com/docs/methods/auth/"
                       "oauth-overview")
        else:
            message = "Authentication credentials are invalid: the access token provided is not valid."
        return error_reply(401, "INVALID_AUTHENTICATION", message)

    def server_error_reply(self) -> Reply:
        """Alternates 502 and 503, the two gateway failures HubSpot clients meet in practice."""
        with self._lock:
            self._server_errors += 1
            status = 502 if self._server_errors % 2 else 503
        message = "Bad Gateway" if status == 502 else "Service Unavailable: please retry"
        return error_reply(status, "INTERNAL_ERROR", message)

    # ---- direct state access for tests (no HTTP) ----

    def pipelines(self, object_type: str) -> list[JSON]:
        with self._lock:
            return self.portal.list_pipelines(Portal.object_type(object_type, PIPELINE_OBJECTS))

    def properties(self, object_type: str) -> list[JSON]:
        with self._lock:
            return self.portal.list_properties(Portal.object_type(object_type), archived=False)

    def flows(self) -> list[JSON]:
        with self._lock:
            return [self.portal.get_flow(fid) for fid in sorted(self.portal.flows, key=int)]

    def records(self, object_type: str) -> list[JSON]:
        obj = Portal.object_type(object_type)
        with self._lock:
            return [{"id": r["id"], "properties": dict(r["properties"])}
                    for r in sorted(self.portal.records[obj].values(), key=lambda r: int(r["id"]))
                    if not r["archived"]]

    def add_record(self, object_type: str, properties: dict[str, str]) -> str:
        """Creates a record as the API would (values validated against the portal's properties)."""
        with self._lock:
            return str(self.portal.create_record(Portal.object_type(object_type), properties)["id"])

    def add_user(self, email: str, *, active: bool = True, role_id: str | None = None) -> str:
        with self._lock:
            if role_id is not None and role_id not in self.portal.roles:
                raise ValueError(f"unknown role id {role_id}; seeded roles: {sorted(self.portal.roles)}")
            return seed_user(self.portal, email, role_id=role_id, active=active)


def seed_scale(emu: HubSpotEmulator, *, properties: int, pipelines: int, flows: int) -> None:
    """Bench portal: `properties` custom properties spread over contacts/companies/deals/tickets
    (`bench_prop_00000`...), `pipelines` deal pipelines ("Bench pipeline 00000"...), `flows` flows."""
    with emu._lock:
        seed_scale_portal(emu.portal, properties=properties, pipelines=pipelines, flows=flows)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.emulators.hubspot",
                                     description="A loopback HubSpot emulator.")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every request")
    parser.add_argument("--token", default="pat-na1-emulator-token")
    parser.add_argument("--no-seed", action="store_true", help="start from an almost empty portal")
    args = parser.parse_args(argv)
    emu = HubSpotEmulator(token=args.token, seed=not args.no_seed, port=args.port)
    emu.faults.latency_s = args.latency_ms / 1000
    signal.signal(signal.SIGTERM, _raise_interrupt)  # a terminated emulator exits like a Ctrl-C'd one
    emu.start()
    print(f"base_url={emu.base_url}", flush=True)
    print(f"token={emu.token}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
    return 0


# The Files API lives in its own module; importing it registers its routes.
from tests.emulators import hubspot_files  # noqa: E402, F401

if __name__ == "__main__":
    sys.exit(main())

