"""`crmconf audit` on HubSpot: how often each workflow the spec names ran (the `run_counts` hook).

HubSpot counts a workflow's enrolments per day in its workflow performance API, which is still the legacy
v3 one (`GET /automation/v3/performance/workflow/{workflowId}?start=&end=&bucket=`, epoch millis, scope
`automation`; RULES-hubspot.md cites the page). It is keyed by the v3 *workflow* id, which is not the v4
flow id crmconf reads, so the ids are mapped first with `POST /automation/v4/workflow-id-mappings/batch/read`
(one request per 100 flows). Neither API is in hubspot-api-client 12, so both go through the client's
raw request builder, under the provider's one retry policy.

Runs are the ENROLLED series summed over the window. HubSpot documents no failure series there (COMPLETED
and UNENROLLED are not failures), so failures stay unknown: `failing` is never claimed on HubSpot.
Whatever HubSpot refuses is said, never raised: the audit goes on with runs unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from crmconf.audit.runs import RunCount, RunCounts, Window
from crmconf.engine.resource import LiveObject
from crmconf.errors import AuthError, ProviderError
from crmconf_hubspot.client import Client

MAPPINGS = "/automation/v4/workflow-id-mappings/batch/read"
PERFORMANCE = "/automation/v3/performance/workflow/{}"
BATCH = 100
RUNS_SERIES = "ENROLLED"  # one enrolment is one run of the workflow


def run_counts(client: Client, automations: Sequence[LiveObject], window: Window) -> RunCounts:
    flows = {o.address: str(o.meta["id"]) for o in automations if o.meta.get("id")}
    try:
        workflow_ids = _workflow_ids(client, sorted(set(flows.values())))
    except AuthError as err:
        return RunCounts(note=f"HubSpot refused to map workflow ids: {err}")
    except ProviderError as err:
        return RunCounts(note=f"HubSpot did not map workflow ids: {err}")
    counts: dict[str, RunCount] = {}
    unknown: dict[str, str] = {}
    start, end = _millis(window.since), _millis(window.until)
    for address, fid in sorted(flows.items()):
        workflow = workflow_ids.get(fid)
        if workflow is None:
            unknown[address] = f"HubSpot has no v3 workflow id for flow {fid}, so it reports no performance for it"
            continue
        try:
            series = client.raw("GET", PERFORMANCE.format(workflow), qs={"start": start, "end": end, "bucket": "MONTH"},
                                idempotent=True)
        except AuthError as err:
            return RunCounts(counts, unknown, note=f"HubSpot refused its workflow performance: {err}")
        except ProviderError as err:
            unknown[address] = f"HubSpot did not report the performance of workflow {workflow}: {err}"
            continue
        counts[address] = RunCount(_enrolled(series), None)
    return RunCounts(counts, unknown)


def _workflow_ids(client: Client, flow_ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(flow_ids), BATCH):
        inputs = [{"type": "FLOW_ID", "flowId": fid} for fid in flow_ids[start:start + BATCH]]
        # A read sent as POST: safe to repeat. A flow without a mapping comes back under `errors` (207).
        reply = client.raw("POST", MAPPINGS, body={"inputs": inputs}, idempotent=True) or {}
        for row in reply.get("results") or []:
            found[str(row["flowId"])] = str(row["workflowId"])
    return found


def _enrolled(series: Any) -> int:
    rows = series if isinstance(series, list) else []
    return sum(int(r.get("frequency") or 0) for r in rows if isinstance(r, Mapping) and r.get("series") == RUNS_SERIES)


def _millis(at: datetime) -> int:
    return int(at.timestamp() * 1000)
