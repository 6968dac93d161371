"""Workflow performance as HubSpot serves it (RULES-hubspot.md, "Workflow performance"), through the real
client's raw request builder (hubspot-api-client has no typed API for either endpoint)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hubspot import HubSpot

from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.test_hubspot_rules import client_for, raw

MAPPINGS = "/automation/v4/workflow-id-mappings/batch/read"
SEP_1, DEC_1 = (int(datetime(2026, m, 1, tzinfo=UTC).timestamp() * 1000) for m in (9, 12))


@pytest.fixture(scope="module")
def server() -> Iterator[HubSpotEmulator]:
    with HubSpotEmulator() as emulator:
        yield emulator


@pytest.fixture
def client(server: HubSpotEmulator) -> HubSpot:
    server.reset()
    return client_for(server)


def workflow_id(client: HubSpot, flow: str) -> int:
    reply = raw(client, "POST", MAPPINGS, body={"inputs": [{"type": "FLOW_ID", "flowId": flow}]})
    assert reply.status_code == 200
    [found] = reply.json()["results"]
    assert found["flowId"] == int(flow)
    return int(found["workflowId"])


def test_performance_is_keyed_by_the_v3_workflow_id_which_is_not_the_flow_id(client: HubSpot) -> None:
    wid = workflow_id(client, "1500003")
    assert wid != 1500003
    assert raw(client, "GET", "/automation/v3/performance/workflow/1500003",
               qs={"start": SEP_1, "end": DEC_1, "bucket": "MONTH"}).status_code == 404
    series = raw(client, "GET", f"/automation/v3/performance/workflow/{wid}",
                 qs={"start": SEP_1, "end": DEC_1, "bucket": "MONTH"}).json()
    enrolled = {r["bucket"]: r["frequency"] for r in series if r["series"] == "ENROLLED"}
    assert enrolled == {"2026-09-01": 12, "2026-10-01": 12, "2026-11-01": 12}
    assert {r["series"] for r in series} == {"ENROLLED", "COMPLETED"}  # no failure series


def test_an_unknown_flow_has_no_mapping_and_is_named_in_errors(client: HubSpot) -> None:
    reply = raw(client, "POST", MAPPINGS, body={"inputs": [{"type": "FLOW_ID", "flowId": "1500003"},
                                                           {"type": "FLOW_ID", "flowId": "999"}]})
    body = reply.json()
    assert reply.status_code == 207 and body["numErrors"] == 1 and len(body["results"]) == 1
    assert body["errors"][0]["context"] == {"flowId": ["999"]}


@pytest.mark.parametrize(("qs", "status"), [
    ({"end": DEC_1, "bucket": "DAY"}, 400),  # start is required
    ({"start": SEP_1, "bucket": "DAY"}, 400),  # end is required
    ({"start": SEP_1, "end": DEC_1}, 400),  # bucket is required
    ({"start": SEP_1, "end": DEC_1, "bucket": "YEAR"}, 400),  # DAY, WEEK or MONTH
    ({"start": "2026-09-01", "end": DEC_1, "bucket": "DAY"}, 400),  # epoch milliseconds
    ({"start": DEC_1, "end": SEP_1, "bucket": "DAY"}, 400),
    ({"start": SEP_1, "end": DEC_1, "bucket": "WEEK"}, 200),
])
def test_performance_needs_a_window_and_a_bucket(client: HubSpot, qs: dict[str, object], status: int) -> None:
    wid = workflow_id(client, "1500005")
    assert raw(client, "GET", f"/automation/v3/performance/workflow/{wid}", qs=qs).status_code == status


def test_performance_and_mappings_need_the_automation_scope(server: HubSpotEmulator) -> None:
    server.reset()
    nothing = client_for(server, server.add_token("pat-na1-no-automation", {"crm.schemas.deals.read"}))
    for method, path in (("POST", MAPPINGS), ("GET", "/automation/v3/performance/workflow/31500003")):
        refused = raw(nothing, method, path, body={"inputs": []} if method == "POST" else None,
                      qs=None if method == "POST" else {"start": SEP_1, "end": DEC_1, "bucket": "DAY"})
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["context"]["requiredGranularScopes"] == ["automation"]
