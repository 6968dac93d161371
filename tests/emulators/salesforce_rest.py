"""REST API of the Salesforce emulator: a route table over /services/data/vXX.X/.

Query (with cursors and nextRecordsUrl paging), queryAll, tooling query, sObject CRUD and describe,
Tooling FlowDefinition activation, sObject Collections and Composite. Every handler answers a
`RestResponse`; the HTTP layer (salesforce.py) adds status line, JSON and Sforce-Limit-Info.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.emulators import salesforce_soql as soql
from tests.emulators.salesforce_composite import run_batch, run_composite
from tests.emulators.salesforce_org import PREFIX, Org
from tests.emulators.salesforce_records import (
    RestError,
    create_record,
    delete_record,
    get_view_row,
    update_record,
)
from tests.emulators.salesforce_sobjects import (
    CATALOG,
    CUSTOMIZABLE,
    lookup,
    object_fields,
    picklist_values,
    visible_fields,
)
from tests.emulators.salesforce_sobjects import OrgSource as _Source

API_VERSIONS = ("55.0", "56.0", "57.0", "58.0", "59.0", "60.0", "61.0", "62.0", "63.0")
DEFAULT_BATCH, MIN_BATCH, MAX_BATCH = 2000, 200, 2000
MAX_COLLECTION = 200
MAX_OPEN_CURSORS = 200
_ROLLED_BACK = (
    "Record rolled back because not all records were valid and the request was using AllOrNone header"
)


@dataclass
class RestRequest:
    method: str
    path: str
    params: dict[str, str]
    body: Any
    headers: Mapping[str, str]
    version: str = "59.0"
    groups: tuple[str, ...] = ()
    partial: bool = False  # the `partial` fault: collections fail every second record


@dataclass
class RestResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[RestRequest], RestResponse]
_V = r"/services/data/v(\d+\.\d)"
_ID = r"([A-Za-z0-9]{15,18})"


@dataclass
class _Cursor:
    records: list[dict[str, Any]]
    batch: int
    endpoint: str  # query | queryAll | tooling/query: where nextRecordsUrl points


class RestApi:
    def __init__(self, org: Org, api_usage: Callable[[], int] = lambda: 0) -> None:
        self.org = org
        self.api_usage = api_usage
        self._cursors: dict[str, _Cursor] = {}
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"/services/data/?"), self.versions),
            ("GET", re.compile(_V + r"/?"), self.resources),
            ("GET", re.compile(_V + r"/limits/?"), self.limits),
            ("GET", re.compile(_V + r"/(query|queryAll)/?"), self.query),
            ("GET", re.compile(_V + r"/(query|queryAll)/(01g[A-Za-z0-9]+-\d+)"), self.query_more),
            ("GET", re.compile(_V + r"/tooling/query/?"), self.tooling_query),
            ("GET", re.compile(_V + r"/tooling/query/(01g[A-Za-z0-9]+-\d+)"), self.tooling_query_more),
            ("GET", re.compile(_V + r"/sobjects/?"), self.global_describe),
            ("GET", re.compile(_V + r"/sobjects/(\w+)/?"), self.sobject_info),
            ("POST", re.compile(_V + r"/sobjects/(\w+)/?"), self.sobject_create),
            ("GET", re.compile(_V + r"/sobjects/(\w+)/describe/?"), self.sobject_describe),
            ("GET", re.compile(_V + r"/sobjects/(\w+)/" + _ID + "/?"), self.sobject_get),
            ("PATCH", re.compile(_V + r"/sobjects/(\w+)/" + _ID + "/?"), self.sobject_update),
            ("DELETE", re.compile(_V + r"/sobjects/(\w+)/" + _ID + "/?"), self.sobject_delete),
            ("GET", re.compile(_V + r"/tooling/sobjects/(\w+)/" + _ID + "/?"), self.tooling_get),
            ("PATCH", re.compile(_V + r"/tooling/sobjects/(\w+)/" + _ID + "/?"), self.tooling_update),
            ("POST", re.compile(_V + r"/composite/sobjects/?"), self.collection_create),
            ("PATCH", re.compile(_V + r"/composite/sobjects/?"), self.collection_update),
            ("DELETE", re.compile(_V + r"/composite/sobjects/?"), self.collection_delete),
            ("POST", re.compile(_V + r"/composite/?"), self.composite),
            ("POST", re.compile(_V + r"/composite/batch/?"), self.composite_batch),
        ]

    def clear_cursors(self) -> None:
        self._cursors.clear()

    # -- dispatch ------------------------------------------------------------------------------
    def dispatch(
        self, method: str, url: str, body: Any, headers: Mapping[str, str], *, partial: bool = False
    ) -> RestResponse:
        parts = urlsplit(url)
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        allowed = []
        for route_method, pattern, handler in self.routes:
            m = pattern.fullmatch(parts.path)
            if m is None:
                continue
            if route_method != method:
                allowed.append(route_method)
                continue
            groups = m.groups()
            version = groups[0] if groups and re.fullmatch(r"\d+\.\d", groups[0] or "") else "59.0"
            req = RestRequest(
                method, parts.path, params, body, headers, version, groups[1:] if groups else (), partial
            )
            try:
                with self.org.lock:
                    return handler(req)
            except RestError as exc:
                return RestResponse(exc.status, exc.body())
            except soql.SoqlError as exc:
                return RestResponse(400, [{"message": exc.message, "errorCode": exc.code}])
        if allowed:
            return RestResponse(
                405,
                [
                    {
                        "errorCode": "METHOD_NOT_ALLOWED",
                        "message": f"HTTP Method '{method}' not "
                        f"allowed. Allowed are {','.join(sorted(set(allowed)))}",
                    }
                ],
            )
        return RestResponse(
            404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
        )

    def _url(self, version: str, tooling: bool) -> Callable[[str, str], str]:
        base = f"/services/data/v{version}/{'tooling/' if tooling else ''}sobjects"
        return lambda sobject, record_id: f"{base}/{sobject}/{record_id}"

    # -- discovery -----------------------------------------------------------------------------
    def versions(self, req: RestRequest) -> RestResponse:
        return RestResponse(
            200, [{"label": f"v{v}", "url": f"/services/data/v{v}", "version": v} for v in API_VERSIONS]
        )

    def resources(self, req: RestRequest) -> RestResponse:
        base = f"/services/data/v{req.version}"
        names = ("sobjects", "query", "queryAll", "tooling", "composite", "limits")
        return RestResponse(200, {n: f"{base}/{n}" for n in names})

    def limits(self, req: RestRequest) -> RestResponse:
        used = self.api_usage()
        return RestResponse(200, {"DailyApiRequests": {"Max": 15000, "Remaining": 15000 - used}})

    # -- query ---------------------------------------------------------------------------------
    def query(self, req: RestRequest) -> RestResponse:
        return self._run_query(req, req.path.rstrip("/").rpartition("/")[2])

    def tooling_query(self, req: RestRequest) -> RestResponse:
        return self._run_query(req, "tooling/query")

    def _run_query(self, req: RestRequest, endpoint: str) -> RestResponse:
        tooling, include_deleted = endpoint == "tooling/query", endpoint == "queryAll"
        q = req.params.get("q", "")
        if not q.strip():
            raise RestError(400, "MALFORMED_QUERY", "A query string has to be specified")
        result = soql.execute(
            q,
            _Source(self.org, "tooling" if tooling else "data"),
            include_deleted=include_deleted,
            url_for=self._url(req.version, tooling),
        )
        if result.aggregate and len(result.records) > soql.AGGREGATE_ROWS:
            # [docs] GROUP BY results cannot use a query locator; [3p] the code and text real orgs answer
            raise RestError(400, "EXCEEDED_ID_LIMIT", "Aggregate query does not support queryMore(), use LIMIT to "
                            "restrict the results to a single batch")
        cursor = _Cursor(result.records, _batch_size(req.headers), endpoint)
        if len(result.records) <= cursor.batch:
            return RestResponse(
                200, {"totalSize": result.total_size, "done": True, "records": result.records}
            )
        locator = self.org.ids.new(PREFIX["QueryLocator"])
        self._cursors[locator] = cursor
        while len(self._cursors) > MAX_OPEN_CURSORS:  # abandoned cursors expire, oldest first
            del self._cursors[next(iter(self._cursors))]
        return self._page(req.version, locator, 0, result.total_size)

    def _page(self, version: str, locator: str, offset: int, total: int) -> RestResponse:
        cursor = self._cursors[locator]
        end = offset + cursor.batch
        body: dict[str, Any] = {"totalSize": total, "done": end >= len(cursor.records)}
        if not body["done"]:  # cursors stay readable (Salesforce: 15 minutes), so a page can be retried
            body["nextRecordsUrl"] = f"/services/data/v{version}/{cursor.endpoint}/{locator}-{end}"
        body["records"] = cursor.records[offset:end]
        return RestResponse(200, body)

    def query_more(self, req: RestRequest) -> RestResponse:
        return self._more(req, req.groups[-1])

    def tooling_query_more(self, req: RestRequest) -> RestResponse:
        return self._more(req, req.groups[-1])

    def _more(self, req: RestRequest, token: str) -> RestResponse:
        locator, _, offset = token.rpartition("-")
        cursor = self._cursors.get(locator)
        if cursor is None or int(offset) >= len(cursor.records):
            raise RestError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(req.version, locator, int(offset), len(cursor.records))

    # -- sObjects ------------------------------------------------------------------------------
    def _def(self, name: str, api: str = "data") -> Any:
        d = lookup(name, api)
        if d is None:
            raise RestError(404, "NOT_FOUND", "The requested resource does not exist")
        return d

    def global_describe(self, req: RestRequest) -> RestResponse:
        objs = [self._brief(d.name, req.version) for d in CATALOG.values() if "data" in d.apis]
        return RestResponse(200, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": objs})

    def _brief(self, name: str, version: str) -> dict[str, Any]:
        d = CATALOG[name]
        base = f"/services/data/v{version}/sobjects/{name}"
        return {
            "name": name,
            "label": name,
            "labelPlural": name + "s",
            "keyPrefix": PREFIX.get(name),
            "custom": False,
            "queryable": True,
            "createable": d.createable,
            "updateable": d.updateable,
            "deletable": d.deletable,
            "retrieveable": True,
            "searchable": d.name in ("Account", "Contact"),
            "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
        }

    def sobject_info(self, req: RestRequest) -> RestResponse:
        d = self._def(req.groups[0])
        return RestResponse(200, {"objectDescribe": self._brief(d.name, req.version), "recentItems": []})

    def sobject_describe(self, req: RestRequest) -> RestResponse:
        d = self._def(req.groups[0])
        body = self._brief(d.name, req.version)
        shown = visible_fields(self.org, d.name) if d.name in CUSTOMIZABLE else d.fields(self.org)
        body["fields"] = [self._describe_field(d.name, f) for f in shown]
        body["recordTypeInfos"] = self._record_type_infos(d.name)
        body["childRelationships"] = []
        return RestResponse(200, body)

    def _describe_field(self, sobject: str, f: Any) -> dict[str, Any]:
        values = (
            picklist_values(self.org, sobject, f.name) if f.type in ("picklist", "multipicklist") else None
        )
        rel = CATALOG[sobject].relations if sobject in CATALOG else {}
        relation = next((r for r in rel.values() if r.fk == f.name), None)
        return {
            "name": f.name,
            "label": f.label,
            "type": f.type,
            "custom": f.custom,
            "nillable": not f.required,
            "createable": not f.readonly,
            "updateable": not f.readonly,
            "permissionable": f.permissionable,
            "referenceTo": [relation.target] if relation else [],
            "relationshipName": relation.name if relation else None,
            "picklistValues": [
                {
                    "active": v.get("isActive") is not False,
                    "defaultValue": bool(v.get("default")),
                    "label": v.get("label") or v["fullName"],
                    "validFor": None,
                    "value": v["fullName"],
                }
                for v in values or []
            ],
        }

    def _record_type_infos(self, sobject: str) -> list[dict[str, Any]]:
        infos = [
            {
                "active": True,
                "available": True,
                "defaultRecordTypeMapping": True,
                "developerName": "Master",
                "master": True,
                "name": "Master",
                "recordTypeId": "012000000000000AAA",
            }
        ]
        for full_name, rt in self.org.components("RecordType").items():
            if full_name.startswith(sobject + "."):
                infos.append(
                    {
                        "active": bool(rt.get("active")),
                        "available": True,
                        "defaultRecordTypeMapping": False,
                        "developerName": full_name.partition(".")[2],
                        "master": False,
                        "name": rt.get("label"),
                        "recordTypeId": self.org.info("RecordType", full_name).id,
                    }
                )
        return infos

    def sobject_create(self, req: RestRequest) -> RestResponse:
        d = self._def(req.groups[0])
        new_id = create_record(self.org, d.name, _json_object(req.body))
        return RestResponse(201, {"id": new_id, "success": True, "errors": []})

    def sobject_get(self, req: RestRequest) -> RestResponse:
        d = self._def(req.groups[0])
        rec = get_view_row(self.org, d.name, req.groups[1], "data")
        if d.name in ("Account", "Contact", "Lead", "Opportunity", "Case", "User", "PermissionSetAssignment"):
            rec = {f.name: rec.get(f.name) for f in object_fields(self.org, d.name)}
        wanted = [f.strip().lower() for f in req.params.get("fields", "").split(",") if f.strip()]
        if wanted:
            rec = {k: v for k, v in rec.items() if k.lower() in wanted or k == "Id"}
        url = self._url(req.version, False)(d.name, str(rec.get("Id") or req.groups[1]))
        return RestResponse(200, {"attributes": {"type": d.name, "url": url}, **rec})

    def sobject_update(self, req: RestRequest) -> RestResponse:
        d = self._def(req.groups[0])
        update_record(self.org, d.name, req.groups[1], _json_object(req.body))
        return RestResponse(204)

    def sobject_delete(self, req: RestRequest) -> RestResponse:
        d = self._def(req.groups[0])
        delete_record(self.org, d.name, req.groups[1])
        return RestResponse(204)

    # -- tooling sObjects ----------------------------------------------------------------------
    def tooling_get(self, req: RestRequest) -> RestResponse:
        d = self._def(req.groups[0], "tooling")
        rec = get_view_row(self.org, d.name, req.groups[1], "tooling")
        rec.update(self._tooling_metadata(d.name, rec))
        url = self._url(req.version, True)(d.name, rec["Id"])
        return RestResponse(200, {"attributes": {"type": d.name, "url": url}, **rec})

    def _tooling_metadata(self, sobject: str, rec: dict[str, Any]) -> dict[str, Any]:
        """The Metadata / FullName pair the Tooling API adds to single-record reads."""
        if sobject == "FlowDefinition":
            flow = self.org.flows[rec["DeveloperName"]]
            return {
                "FullName": flow.name,
                "Metadata": {
                    "activeVersionNumber": flow.active_number or None,
                    "description": rec.get("Description"),
                    "masterLabel": rec.get("MasterLabel"),
                    "urls": None,
                },
            }
        if sobject == "Flow":
            for flow in self.org.flows.values():
                version = next((v for v in flow.versions if v.id == rec["Id"]), None)
                if version is not None:
                    meta = {k: v for k, v in version.metadata.items() if k != "fullName"}
                    return {"FullName": f"{flow.name}-{version.number}", "Metadata": meta}
        if sobject == "ValidationRule":
            full_name = f"{rec['EntityDefinitionId']}.{rec['ValidationName']}"
            comp = self.org.get("ValidationRule", full_name) or {}
            return {"FullName": full_name, "Metadata": {k: v for k, v in comp.items() if k != "fullName"}}
        return {}

    def tooling_update(self, req: RestRequest) -> RestResponse:
        d = self._def(req.groups[0], "tooling")
        if d.name != "FlowDefinition":
            raise RestError(
                400,
                "INVALID_TYPE_FOR_OPERATION",
                f"entity type {d.name} does not support update in the emulator",
            )
        row = get_view_row(self.org, "FlowDefinition", req.groups[1], "tooling")
        meta = _json_object(req.body).get("Metadata")
        if not isinstance(meta, dict) or "activeVersionNumber" not in meta:
            raise RestError(
                400, "FIELD_INTEGRITY_EXCEPTION", "Metadata.activeVersionNumber is required", ["Metadata"]
            )
        number = meta["activeVersionNumber"] or 0
        flow = self.org.flows[row["DeveloperName"]]
        if not isinstance(number, int) or (number and flow.version(number) is None):
            raise RestError(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                f"The flow version you specified ({number}) doesn't exist for flow {flow.name}",
                ["activeVersionNumber"],
            )
        self.org.activate_flow(flow.name, number)
        return RestResponse(204)

    # -- sObject Collections -------------------------------------------------------------------
    def collection_update(self, req: RestRequest) -> RestResponse:
        def apply(rec: dict[str, Any]) -> str:
            sobject = (rec.get("attributes") or {}).get("type")
            if not sobject:
                raise RestError(400, "INVALID_TYPE", "Each record needs attributes.type")
            record_id = str(rec.get("id") or rec.get("Id") or "")
            fields = {k: v for k, v in rec.items() if k not in ("attributes", "id", "Id")}
            update_record(self.org, sobject, record_id, fields)
            return record_id

        return self._collection(req, apply, with_id=True)

    def collection_create(self, req: RestRequest) -> RestResponse:
        def apply(rec: dict[str, Any]) -> str:
            sobject = (rec.get("attributes") or {}).get("type")
            if not sobject:
                raise RestError(400, "INVALID_TYPE", "Each record needs attributes.type")
            return create_record(self.org, sobject, {k: v for k, v in rec.items() if k != "attributes"})

        return self._collection(req, apply, with_id=False)

    def collection_delete(self, req: RestRequest) -> RestResponse:
        ids = [i for i in req.params.get("ids", "").split(",") if i]
        records = [{"id": i} for i in ids]
        all_or_none = req.params.get("allOrNone", "false").lower() == "true"

        def apply(rec: dict[str, Any]) -> str:
            found = self.org.find_record(rec["id"])
            if found is None:
                raise RestError(404, "ENTITY_IS_DELETED", "entity is deleted")
            delete_record(self.org, found[0], rec["id"])
            return str(rec["id"])

        return self._run_collection(req, records, all_or_none, apply, with_id=True)

    def _collection(
        self, req: RestRequest, apply: Callable[[dict[str, Any]], str], *, with_id: bool
    ) -> RestResponse:
        body = _json_object(req.body)
        records = body.get("records")
        if not isinstance(records, list):
            raise RestError(400, "JSON_PARSER_ERROR", "The request body needs a records array")
        return self._run_collection(req, records, bool(body.get("allOrNone")), apply, with_id=with_id)

    def _run_collection(
        self,
        req: RestRequest,
        records: list[Any],
        all_or_none: bool,
        apply: Callable[[dict[str, Any]], str],
        *,
        with_id: bool,
    ) -> RestResponse:
        if len(records) > MAX_COLLECTION:
            raise RestError(
                400,
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than {MAX_COLLECTION} records into this call",
            )
        snapshot = self.org.snapshot() if all_or_none else None
        results: list[dict[str, Any]] = []
        for i, rec in enumerate(records):
            given_id = rec.get("id") if with_id else None
            if req.partial and i % 2 == 1:
                results.append(
                    _failure(
                        given_id,
                        "UNABLE_TO_LOCK_ROW",
                        "unable to obtain exclusive access to this record or 1 records: "
                        + str(given_id or ""),
                    )
                )
                continue
            try:
                results.append({"id": apply(rec), "success": True, "errors": []})
            except RestError as exc:
                results.append(_failure(given_id, exc.code, exc.message, exc.fields))
        if snapshot is not None and not all(r["success"] for r in results):
            self.org.restore(snapshot)
            results = [
                r
                if not r["success"]
                else _failure(r["id"] if with_id else None, "ALL_OR_NONE_OPERATION_ROLLED_BACK", _ROLLED_BACK)
                for r in results
            ]
        return RestResponse(200, results)

    # -- Composite -----------------------------------------------------------------------------
    def composite(self, req: RestRequest) -> RestResponse:
        return run_composite(self, req)

    def composite_batch(self, req: RestRequest) -> RestResponse:
        return run_batch(self, req)


def _failure(record_id: Any, code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "success": False,
        "errors": [{"statusCode": code, "message": message, "fields": fields or []}],
    }
    if record_id:
        out = {"id": record_id, **out}
    return out


def _json_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RestError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
    return body


def _batch_size(headers: Mapping[str, str]) -> int:
    """Sforce-Query-Options: batchSize=N (200..2000; Salesforce treats it as a hint)."""
    m = re.search(r"batchSize\s*=\s*(\d+)", headers.get("sforce-query-options", ""), re.I)
    if not m:
        return DEFAULT_BATCH
    return max(MIN_BATCH, min(MAX_BATCH, int(m.group(1))))
