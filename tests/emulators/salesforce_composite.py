"""Composite and Composite Batch of the Salesforce REST emulator, with their documented limits.

- `/composite`: up to 25 subrequests, of which at most 5 may be query/queryAll or sObject
  Collections; more is refused as a whole (nothing runs). Subrequests may reference earlier answers
  (`@{ref.path}`); allOrNone rolls everything back. The whole request counts as one API call.
- `/composite/batch`: up to 25 independent subrequests (`v59.0/query/?q=...`), queries without a
  per-kind cap, only the resources the docs list (no Tooling); haltOnError answers 412 for what it
  skips. Each subrequest counts as an API call.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tests.emulators.salesforce_records import RestError

if TYPE_CHECKING:
    from tests.emulators.salesforce_rest import RestApi, RestRequest, RestResponse

MAX_SUBREQUESTS = 25
MAX_LIMITED = 5  # query/queryAll and sObject Collections subrequests in one /composite
_HALTED = "The transaction was rolled back since another operation in the same transaction failed."
_LIMITED = re.compile(r"/services/data/v\d+\.\d/(?:tooling/)?(?:query|queryAll)(?:/|\?|$)|/composite/sobjects")
# Composite Batch resources (docs): limits, sObjects, query, queryAll, search, connect, chatter, actions.
_BATCHABLE = re.compile(r"v(\d+\.\d)/(?:limits|sobjects|query|queryAll|search|connect|chatter|actions)(?:/|\?|$)")


def _response(status: int, body: Any = None) -> RestResponse:
    from tests.emulators.salesforce_rest import RestResponse

    return RestResponse(status, body)


def _json_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RestError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
    return body


def run_composite(api: RestApi, req: RestRequest) -> RestResponse:
    body = _json_object(req.body)
    subs = body.get("compositeRequest")
    if not isinstance(subs, list) or not subs:
        raise RestError(400, "JSON_PARSER_ERROR", "compositeRequest must be a non-empty array")
    if len(subs) > MAX_SUBREQUESTS:
        raise RestError(400, "LIMIT_EXCEEDED", f"Composite requests can have up to {MAX_SUBREQUESTS} subrequests")
    limited = sum(1 for sub in subs if _LIMITED.search(str(sub.get("url", ""))))
    if limited > MAX_LIMITED:
        raise RestError(400, "LIMIT_EXCEEDED", f"A composite request can have up to {MAX_LIMITED} query or "
                        f"sObject Collections subrequests; this one has {limited}")
    all_or_none = bool(body.get("allOrNone"))
    snapshot = api.org.snapshot() if all_or_none else None
    bodies: dict[str, Any] = {}
    out: list[dict[str, Any]] = []
    failed = False
    for sub in subs:
        ref = str(sub.get("referenceId", ""))
        if failed and all_or_none:
            out.append(_halted(ref))
            continue
        try:
            url = _resolve(str(sub.get("url", "")), bodies)
            sub_body = json.loads(_resolve(json.dumps(sub["body"]), bodies)) if "body" in sub else None
        except KeyError as missing:
            message = f"Invalid reference specified. No value for {missing.args[0]} found in the previous responses."
            out.append({"body": [{"errorCode": "PROCESSING_HALTED", "message": message}], "httpHeaders": {},
                        "httpStatusCode": 400, "referenceId": ref})
            failed = True
            continue
        res = api.dispatch(str(sub.get("method", "GET")).upper(), url, sub_body, req.headers)
        bodies[ref] = res.body
        headers = {}
        if res.status == 201 and isinstance(res.body, dict):
            headers["Location"] = f"{urlsplit(url).path.rstrip('/')}/{res.body.get('id')}"
        out.append({"body": res.body, "httpHeaders": headers, "httpStatusCode": res.status, "referenceId": ref})
        failed = failed or res.status >= 400
    if snapshot is not None and failed:
        api.org.restore(snapshot)
        out = [o if o["httpStatusCode"] >= 400 else _halted(o["referenceId"]) for o in out]
    return _response(200, {"compositeResponse": out})


def run_batch(api: RestApi, req: RestRequest) -> RestResponse:
    body = _json_object(req.body)
    subs = body.get("batchRequests")
    if not isinstance(subs, list) or not subs:
        raise RestError(400, "JSON_PARSER_ERROR", "batchRequests must be a non-empty array")
    if len(subs) > MAX_SUBREQUESTS:
        raise RestError(400, "LIMIT_EXCEEDED", f"A batch can have up to {MAX_SUBREQUESTS} subrequests")
    for sub in subs:  # checked before anything runs: a bad subrequest fails the whole batch
        url = str(sub.get("url", "")).lstrip("/").removeprefix("services/data/")
        found = _BATCHABLE.match(url)
        if found is None or str(sub.get("method", "")) not in ("GET", "POST", "PATCH", "DELETE"):
            raise RestError(400, "INVALID_BATCH_REQUEST", f"The method {sub.get('method')!r} and URL "
                            f"{sub.get('url')!r} can't be used in a batch")
        if not 34.0 <= float(found.group(1)) <= float(req.version):
            raise RestError(400, "INVALID_BATCH_REQUEST", f"The API version of {sub.get('url')!r} must be between "
                            f"34.0 and the batch's version {req.version}")
    halt = bool(body.get("haltOnError"))
    results: list[dict[str, Any]] = []
    stopped = False
    for sub in subs:
        if stopped:
            results.append({"statusCode": 412, "result": [
                {"errorCode": "BATCH_PROCESSING_HALTED", "message": "Batch processing halted per request"}]})
            continue
        url = "/services/data/" + str(sub["url"]).lstrip("/").removeprefix("services/data/")
        res = api.dispatch(str(sub["method"]), url, sub.get("richInput"), req.headers)
        results.append({"statusCode": res.status, "result": res.body})
        stopped = halt and res.status >= 400
    return _response(200, {"hasErrors": any(r["statusCode"] >= 400 for r in results), "results": results})


def _halted(ref: str) -> dict[str, Any]:
    return {"body": [{"errorCode": "PROCESSING_HALTED", "message": _HALTED}], "httpHeaders": {},
            "httpStatusCode": 400, "referenceId": ref}


_REF = re.compile(r"@\{([^}]+)\}")


def _resolve(text: str, bodies: dict[str, Any]) -> str:
    """Replace @{ref.path} references with values from earlier subrequest responses."""

    def one(m: re.Match[str]) -> str:
        expr = m.group(1)
        tokens = re.findall(r"[^.\[\]]+|\[\d+\]", expr)
        if not tokens or tokens[0] not in bodies:
            raise KeyError(expr)
        cur: Any = bodies[tokens[0]]
        for tok in tokens[1:]:
            try:
                cur = cur[int(tok[1:-1])] if tok.startswith("[") else cur[tok]
            except (KeyError, IndexError, TypeError):
                raise KeyError(expr) from None
        return str(cur)

    return _REF.sub(one, text)
