"""Workflow run counts in the emulated portal (see RULES-hubspot.md, "Workflow performance").

HubSpot counts a workflow's activity per day in series (ENROLLED, UNENROLLED, COMPLETED...) and serves
them from the legacy v3 API, keyed by the *v3 workflow id*, which is not the v4 flow id: the v4 API maps
one to the other with `POST /automation/v4/workflow-id-mappings/batch/read`. Pure functions over the
portal's `performance` table ({flow id: {"YYYY-MM-DD": {series: count}}}) and its id mapping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.emulators.hubspot_errors import JSON, HubSpotError, batch_reply, invalid, item_error, now_iso
from tests.emulators.hubspot_state import Portal

# [docs] get-workflow-performance: `bucket` is one of these; `start` and `end` are required epoch millis.
BUCKETS = ("DAY", "WEEK", "MONTH")
V3_OFFSET = 30_000_000  # the emulated v3 id of a flow: a different number than its v4 id, as on real portals


def workflow_id(fid: str) -> int:
    return int(fid) + V3_OFFSET


def flow_of(portal: Portal, workflow: str) -> str | None:
    if not workflow.isdigit():
        return None
    fid = str(int(workflow) - V3_OFFSET)
    return fid if fid in portal.flows else None


def id_mappings(portal: Portal, raw: Any) -> tuple[int, JSON]:
    """[docs] get-workflow-id-mappings: inputs `{type: FLOW_ID, flowId}` -> results `{flowId, workflowId}`."""
    if not isinstance(raw, dict) or not isinstance(raw.get("inputs"), list):
        raise invalid("Invalid input JSON: inputs is required")
    started, results, errors = now_iso(), [], []
    for item in raw["inputs"]:
        if not isinstance(item, dict) or item.get("type") not in ("FLOW_ID", "WORKFLOW_ID"):
            raise invalid("Invalid input JSON: each input needs type FLOW_ID or WORKFLOW_ID")
        if item["type"] == "FLOW_ID":
            fid = str(item.get("flowId", ""))
            found = fid if fid in portal.flows else None
        else:
            found = flow_of(portal, str(item.get("workflowId", "")))
        if found is None:
            errors.append(item_error("OBJECT_NOT_FOUND", "No workflow id mapping found", **{
                k: str(v) for k, v in item.items() if k != "type"}))
            continue
        results.append({"flowId": int(found), "workflowId": workflow_id(found)})
    return batch_reply(results, errors, started, 200)


def _millis(raw: str | None, name: str) -> datetime:
    if raw is None:
        raise HubSpotError(400, "VALIDATION_ERROR", f"Required parameter {name} is missing")
    if not raw.lstrip("-").isdigit():
        raise HubSpotError(400, "VALIDATION_ERROR", f"{name} must be an epoch timestamp in milliseconds")
    return datetime.fromtimestamp(int(raw) / 1000, UTC)


def _bucket_of(day: datetime, bucket: str) -> str:
    if bucket == "WEEK":
        day -= timedelta(days=day.weekday())
    elif bucket == "MONTH":
        day = day.replace(day=1)
    return day.strftime("%Y-%m-%d")


def performance(portal: Portal, workflow: str, start: str | None, end: str | None, bucket: str | None) -> list[JSON]:
    """[docs] get-workflow-performance: `[{series, bucket, frequency}]` for the days in [start, end)."""
    since, until = _millis(start, "start"), _millis(end, "end")
    if bucket not in BUCKETS:
        raise HubSpotError(400, "VALIDATION_ERROR", f"bucket must be one of {', '.join(BUCKETS)}")
    if until < since:
        raise HubSpotError(400, "VALIDATION_ERROR", "end must not be before start")
    fid = flow_of(portal, workflow)
    if fid is None:
        raise HubSpotError(404, "OBJECT_NOT_FOUND", f"Workflow {workflow} not found")
    totals: dict[tuple[str, str], int] = {}
    for day, series in sorted(portal.performance.get(fid, {}).items()):
        at = datetime.fromisoformat(day).replace(tzinfo=UTC)
        if not since <= at < until:
            continue
        for name, n in series.items():
            key = (name, _bucket_of(at, bucket))
            totals[key] = totals.get(key, 0) + n
    return [{"series": s, "bucket": b, "frequency": n} for (s, b), n in sorted(totals.items())]
