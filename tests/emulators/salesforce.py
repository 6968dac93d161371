"""A loopback HTTPS emulator of the Salesforce APIs crmconf uses.

Real TLS on 127.0.0.1 (a test CA made by trustme at start; its PEM is at `ca_path`), the REST API
(query/queryAll with paging, tooling query, sObjects, Tooling FlowDefinition activation, sObject
Collections, Composite) and the Metadata SOAP API (read/create/update/upsert/delete/list/describe),
over an in-memory org seeded like a real mid-size sales org (salesforce_seed.py lists the names).
Drive it only through the real simple-salesforce client (see `connect`), never by patching it.

    with SalesforceEmulator() as emu:
        sf = connect(emu)
        sf.query("SELECT ApiName FROM OpportunityStage")
        emu.faults.inject("rate_limit", path=r"/query")

Faults (tests/emulators/faults.py) are consulted once per HTTP request after it is counted in
`requests`. SOAP requests are matched as "<path>#<operation>" (e.g. path=r"#upsertMetadata$"),
so a rule can target one Metadata operation. `reset()` returns a running emulator to its seeded
state, so a suite can share one server and one client. With `record_soap = True` every Metadata
request and reply is kept in `soap_exchanges` (salesforce_wsdl.py checks each against the WSDL).

Module map: salesforce_rest.py (REST routes), salesforce_metadata.py + salesforce_xsd.py (SOAP,
WSDL codec), salesforce_mdtypes.py (per-type rules), salesforce_soql.py (SOQL engine),
salesforce_sobjects.py (sObject catalog, views derived from metadata), salesforce_records.py
(record writes), salesforce_formula.py (validation-rule formulas), salesforce_org.py (state).

Standalone:  python -m tests.emulators.salesforce --port 0 [--latency-ms N] [--no-seed | --messy]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import logging
import re
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests
import trustme
from simple_salesforce.api import Salesforce

from tests.emulators.faults import Fault, Faults, RequestLog, Rule
from tests.emulators.salesforce_metadata import MetadataService, fault_envelope, parse_request
from tests.emulators.salesforce_org import Mutation, Org
from tests.emulators.salesforce_records import derive_fields
from tests.emulators.salesforce_rest import RestApi, RestResponse
from tests.emulators.salesforce_seed import seed_core, seed_org
from tests.emulators.salesforce_seed import seed_scale as _seed_scale
from tests.emulators.salesforce_seed_messy import seed_messy
from tests.emulators.salesforce_sobjects import DATA_OBJECTS, lookup
from tests.emulators.salesforce_xsd import SoapFault

log = logging.getLogger(__name__)

DEFAULT_SESSION_ID = "00D000000000001!emulator"
DAILY_API_LIMIT = 15000
_SOAP_PATH = re.compile(r"/services/Soap/m/\d+\.\d(?:/\w*)?")
_LIMIT_MESSAGE = "TotalRequests Limit exceeded."
_UNKNOWN_MESSAGE = (
    "An unexpected error occurred. Please include this ErrorId if you contact support: "
    "1949367141-10482 (-1300589387)"
)


@dataclass(frozen=True)
class SoapExchange:
    """One Metadata API reply as sent on the wire (recorded when `record_soap` is on)."""

    operation: str | None
    status: int
    content_type: str
    body: bytes  # the reply
    request: bytes = b""  # what the client sent (empty when it was not a SOAP envelope at all)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, emulator: SalesforceEmulator, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.emulator = emulator
        self.ssl_context = context
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def track(self, sock: socket.socket, opened: bool) -> None:
        with self._open_lock:
            (self._open.add if opened else self._open.discard)(sock)

    def close_all(self) -> None:
        """Close kept-alive client connections so stop() leaves nothing behind."""
        with self._open_lock:
            socks, self._open = list(self._open), set()
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return  # clients hang up, time out or abort TLS handshakes (ssl.SSLError is an OSError)
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API; requests reuses connections
    server: _Server

    def setup(self) -> None:
        # TLS handshake here, in the per-connection thread, so a slow client can't stall accept().
        self.request.settimeout(60)
        # Headers and body go out in separate writes: with Nagle's algorithm on, each reply waited
        # for the client's delayed ACK (~40 ms a request, most of a test's time).
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request = self.server.ssl_context.wrap_socket(self.request, server_side=True)
        self.server.track(self.request, True)
        super().setup()

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.track(self.request, False)
        with contextlib.suppress(OSError):
            self.request.close()

    def _serve(self) -> None:
        self.server.emulator._handle(self)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class SalesforceEmulator:
    def __init__(
        self, *, session_id: str = DEFAULT_SESSION_ID, seed: bool | Callable[[Org], None] = True, port: int = 0
    ) -> None:
        """`seed`: True for the realistic mid-size org, False for an almost empty one, or a seeding
        function (salesforce_seed_messy.seed_messy: a years-of-use org)."""
        self.session_id = session_id
        self.faults = Faults()
        self.requests = RequestLog()
        self.org = Org()
        (seed if callable(seed) else seed_org if seed else seed_core)(self.org)
        self.rest = RestApi(self.org, lambda: self._api_calls)
        self.metadata_service = MetadataService(self.org)
        self._pristine = self.org.snapshot()  # for reset()
        self.org.mutations.clear()  # seeding is not something the API did
        self.record_soap = False  # when True, every Metadata API request and reply is kept in soap_exchanges
        self.soap_exchanges: list[SoapExchange] = []
        # When set, every Metadata exchange is checked as it is answered (salesforce_wsdl.exchange_errors):
        # counted in soap_checked, failures kept in soap_invalid. Neither is cleared by reset(), so a
        # suite that resets the org between steps still sees every message.
        self.soap_checker: Callable[[SoapExchange], list[str]] | None = None
        self.soap_checked = 0
        self.soap_invalid: list[str] = []
        self.instance_url = ""
        self.ca_path = ""
        self._port = port
        self._expired = False
        self._api_calls = 0
        self._count_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._tmpdir: str | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> SalesforceEmulator:
        if self._server is not None:
            return self
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        self._tmpdir = tempfile.mkdtemp(prefix="sf-emulator-")
        self.ca_path = str(Path(self._tmpdir) / "ca.pem")
        ca.cert_pem.write_to_path(self.ca_path)
        self._server = _Server(self._port, self, context)
        self.instance_url = f"https://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="salesforce-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.close_all()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> SalesforceEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def expire_session(self) -> None:
        """Later calls answer 401 INVALID_SESSION_ID (REST) / fault sf:INVALID_SESSION_ID (SOAP)."""
        self._expired = True

    def reset(self) -> None:
        """Back to the state right after construction (org, faults, counters, session), server kept.

        Lets a test suite share one running emulator and one client: building a client costs a
        parse of the Metadata WSDL, far more than resetting the org.
        """
        with self.org.lock:
            self.org.restore(copy.deepcopy(self._pristine))
            self.rest.clear_cursors()
        self.org.mutations.clear()
        self.faults.clear()
        self.faults.latency_s, self.faults.timeout_stall_s = 0.0, Faults().timeout_stall_s
        self.requests.reset()
        self.soap_exchanges.clear()
        self._expired = False
        with self._count_lock:
            self._api_calls = 0

    def save(self) -> tuple[Any, ...]:
        """The org as it is now, for `restore`: a campaign restarts each run from one prepared org."""
        with self.org.lock:
            return self.org.snapshot()

    def restore(self, saved: tuple[Any, ...]) -> None:
        """Put back an org from `save` (faults, counters and the mutation log are left as they are)."""
        with self.org.lock:
            self.org.restore(copy.deepcopy(saved))
            self.rest.clear_cursors()

    @property
    def mutations(self) -> list[Mutation]:
        """What the org performed since the last reset(), oldest first (see Org.mutations)."""
        with self.org.lock:
            return list(self.org.mutations)

    # -- direct state access for tests ---------------------------------------------------------
    def metadata(self, type_: str) -> dict[str, dict[str, Any]]:
        """fullName -> component (the live dicts; Flow shows each flow's latest version)."""
        return self.org.components(type_)

    def records(self, sobject: str) -> list[dict[str, Any]]:
        """Live records of a data object, or the current rows of a view such as FieldPermissions."""
        d = lookup(sobject, "data") or lookup(sobject, "tooling")
        if d is None:
            raise KeyError(f"unknown sObject {sobject}")
        with self.org.lock:
            return d.rows(self.org, False)

    def add_record(self, sobject: str, fields: dict[str, Any]) -> str:
        """Insert a record without API validation (test setup); derived fields are still computed."""
        d = lookup(sobject, "data")
        if d is None or d.name not in DATA_OBJECTS:
            raise ValueError(f"{sobject} is not a data object (views follow their metadata)")
        with self.org.lock:
            rec = (
                {"OwnerId": self.org.api_user_id, **fields}
                if d.name not in ("User", "PermissionSetAssignment")
                else dict(fields)
            )
            derive_fields(self.org, d.name, rec, rec)
            return str(self.org.insert(d.name, rec)["Id"])

    @property
    def api_usage(self) -> int:
        return self._api_calls

    # -- request handling ----------------------------------------------------------------------
    def _handle(self, h: _Handler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        self.requests.record(h.command, h.path)
        with self._count_lock:
            self._api_calls += 1
        path = urlsplit(h.path).path
        if path.startswith("/services/Soap/"):
            self._handle_soap(h, path, raw)
        else:
            self._handle_rest(h, path, raw)

    def _gate(
        self, h: _Handler, fault_path: str, effect: Callable[[bool], Any], fail: Callable[[Rule], Any]
    ) -> Any | None:
        """Apply the fault rule matching this request, if any; None means "no response at all"."""
        rule = self.faults.take(h.command, fault_path)  # also sleeps the configured latency
        if rule is None or rule.kind is Fault.PARTIAL:
            return effect(rule is not None)
        if rule.applied_effect:
            effect(False)  # the change lands, the answer is lost
        if rule.kind is Fault.TIMEOUT:
            time.sleep(self.faults.timeout_stall_s)
        if rule.kind in (Fault.TIMEOUT, Fault.DROP):
            h.close_connection = True
            with contextlib.suppress(OSError):
                h.request.shutdown(socket.SHUT_RDWR)
            return None
        return fail(rule)

    def _authorized(self, token: str | None) -> bool:
        return not self._expired and token == self.session_id

    def _handle_rest(self, h: _Handler, path: str, raw: bytes) -> None:
        def effect(partial: bool) -> RestResponse:
            auth = h.headers.get("Authorization", "")
            token = auth.split(" ", 1)[1] if " " in auth else None
            if path.rstrip("/") != "/services/data" and not self._authorized(token):  # versions: public
                return RestResponse(
                    401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
                )
            try:
                body = json.loads(raw) if raw.strip() else None
            except ValueError as exc:
                return RestResponse(
                    400, [{"message": f"Unexpected character: {exc}", "errorCode": "JSON_PARSER_ERROR"}]
                )
            try:
                headers = {k.lower(): v for k, v in h.headers.items()}
                return self.rest.dispatch(h.command, h.path, body, headers, partial=partial)
            except Exception:  # an emulator bug must still answer like Salesforce, and show in logs
                log.exception("REST %s %s failed", h.command, h.path)
                return RestResponse(500, [{"message": _UNKNOWN_MESSAGE, "errorCode": "UNKNOWN_EXCEPTION"}])

        def fail(rule: Rule) -> RestResponse:
            if rule.kind is Fault.RATE_LIMIT:
                return RestResponse(403, [{"message": _LIMIT_MESSAGE, "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
            return RestResponse(500, [{"message": _UNKNOWN_MESSAGE, "errorCode": "UNKNOWN_EXCEPTION"}])

        resp = self._gate(h, path, effect, fail)
        if resp is None:
            return
        if path.rstrip("/").endswith("/composite/batch") and resp.status == 200:
            with self._count_lock:  # each subrequest of a batch counts against the API limit (docs)
                self._api_calls += len(resp.body.get("results", ())) - 1
        headers = {"Sforce-Limit-Info": f"api-usage={self._api_calls}/{DAILY_API_LIMIT}", **resp.headers}
        if resp.status == 204 or resp.body is None:
            self._send(h, resp.status, b"", None, headers)
        else:
            payload = json.dumps(resp.body).encode()
            self._send(h, resp.status, payload, "application/json;charset=UTF-8", headers)

    def _handle_soap(self, h: _Handler, path: str, raw: bytes) -> None:
        operation: str | None = None
        try:
            if h.command != "POST" or not _SOAP_PATH.fullmatch(path):
                raise SoapFault("soapenv:Client", f"No service available at {path}")
            call = parse_request(raw)
            operation = call.operation
        except SoapFault as fault:
            self._send_soap(h, operation, 500, fault_envelope(fault.code, fault.message), b"")
            return

        def effect(partial: bool) -> tuple[int, str]:
            if not self._authorized(call.session_id):
                return 500, fault_envelope(
                    "sf:INVALID_SESSION_ID",
                    "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session",
                )
            try:
                return 200, self.metadata_service.call(call, partial=partial)
            except SoapFault as fault:
                return 500, fault_envelope(fault.code, fault.message)
            except Exception:  # an emulator bug must still look like Salesforce, and be visible in logs
                log.exception("metadata call %s failed", call.operation)
                return 500, fault_envelope("sf:UNKNOWN_EXCEPTION", f"UNKNOWN_EXCEPTION: {_UNKNOWN_MESSAGE}")

        def fail(rule: Rule) -> tuple[int, str]:
            if rule.kind is Fault.RATE_LIMIT:
                return 500, fault_envelope(
                    "sf:REQUEST_LIMIT_EXCEEDED", f"REQUEST_LIMIT_EXCEEDED: {_LIMIT_MESSAGE}"
                )
            return 500, fault_envelope("sf:UNKNOWN_EXCEPTION", f"UNKNOWN_EXCEPTION: {_UNKNOWN_MESSAGE}")

        result = self._gate(h, f"{path}#{call.operation}", effect, fail)
        if result is not None:
            self._send_soap(h, operation, *result, raw)

    def _send_soap(self, h: _Handler, operation: str | None, status: int, body: str, request: bytes) -> None:
        payload = body.encode()
        content_type = "text/xml; charset=utf-8"
        exchange = SoapExchange(operation, status, content_type, payload, request)
        if self.record_soap:
            self.soap_exchanges.append(exchange)
        self._send(h, status, payload, content_type, {})
        if self.soap_checker is not None:  # after the answer: the client does not wait for the check
            problems = self.soap_checker(exchange)
            with self._count_lock:
                self.soap_checked += 1
                if problems:
                    self.soap_invalid.append(f"{operation} HTTP {status}: " + "; ".join(problems)
                                             + f"\n  request {request[:300]!r}\n  reply {payload[:300]!r}")

    @staticmethod
    def _send(
        h: _Handler, status: int, payload: bytes, content_type: str | None, headers: dict[str, str]
    ) -> None:
        h.send_response(status)
        if content_type:
            h.send_header("Content-Type", content_type)
        for key, value in headers.items():
            h.send_header(key, value)
        if status != 204:
            h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        if payload and h.command != "HEAD":
            h.wfile.write(payload)


def connect(emu: SalesforceEmulator) -> Salesforce:
    """The real client, pointed at the emulator: TLS trusts only the test CA, no env proxies/CA bundles."""
    session = requests.Session()
    session.verify = emu.ca_path
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise override session.verify
    sf = Salesforce(instance_url=emu.instance_url, session_id=emu.session_id, session=session)
    sf.mdapi._client.transport.session = sf.session  # mdapi builds its own zeep client and session
    return sf


def seed_scale(
    emu: SalesforceEmulator, *, custom_fields: int, flows: int, permission_sets: int, field_permissions: int
) -> None:
    """Grow the org for benchmarks (see salesforce_seed.seed_scale for the naming)."""
    _seed_scale(
        emu.org,
        custom_fields=custom_fields,
        flows=flows,
        permission_sets=permission_sets,
        field_permissions=field_permissions,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.emulators.salesforce", description="Run the Salesforce emulator until Ctrl-C."
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: pick a free one)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added latency per request")
    parser.add_argument("--session-id", default=DEFAULT_SESSION_ID)
    parser.add_argument("--no-seed", action="store_true", help="start from an almost empty org")
    parser.add_argument("--messy", action="store_true", help="a years-of-use org (salesforce_seed_messy.py)")
    args = parser.parse_args(argv)
    seed: bool | Callable[[Org], None] = seed_messy if args.messy else not args.no_seed
    emu = SalesforceEmulator(session_id=args.session_id, seed=seed, port=args.port)
    emu.faults.latency_s = args.latency_ms / 1000
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with emu:
        print(f"instance_url={emu.instance_url}", flush=True)
        print(f"ca_bundle={emu.ca_path}", flush=True)
        print(f"session_id={emu.session_id}", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
