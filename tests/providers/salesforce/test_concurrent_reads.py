"""Reads sent concurrently: the same snapshot and requests as one at a time, within the daily allocation
the Sforce-Limit-Info header reports, and a verifying re-read of only what the apply touched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crmconf.engine.apply import Outcome, apply_plan, reread
from crmconf.engine.journal import Journal
from crmconf.engine.plan import kinds_of
from crmconf.engine.resource import Snapshot
from crmconf.errors import LimitExceededError
from crmconf.validation import require_valid
from tests.emulators.salesforce import DAILY_API_LIMIT, SalesforceEmulator, seed_scale
from tests.providers.salesforce.conftest import (
    TODAY,
    converging_specs,
    make_plan,
    provider_for,
    small_workspace,
)


def _scaled(root: Path, emu: SalesforceEmulator) -> Path:
    """specs/ on an org grown enough that reads come in many calls: 60 managed fields (6 Metadata reads),
    twelve permission sets whose field permissions take three pages."""
    seed_scale(emu, custom_fields=300, flows=10, permission_sets=12, field_permissions=4400)
    converging_specs(root, emu)
    fields: dict[str, list[dict[str, Any]]] = {}
    objects = {"Opportunity": "deal", "Contact": "contact", "Account": "company", "Lead": "lead", "Case": "ticket"}
    for full, comp in sorted(emu.metadata("CustomField").items()):
        obj, _, api = full.partition(".")
        if api.startswith("Scale_Field_") and int(api[12:17]) < 60:
            fields.setdefault(objects[obj], []).append({"name": api[:-3].lower(), "label": comp["label"],
                                                        "type": "text" if comp["type"] == "Text" else "number"})
    permissions = [{"name": f"scale_permset_{i:04d}", "label": f"Scale Permission Set {i}",
                    "objects": {o: ["read"] for o in objects.values()}} for i in range(12)]
    (root / "scale.yaml").write_text(json.dumps({"fields": fields, "permissions": permissions}))
    return root


def _read(root: Path, emu: SalesforceEmulator, concurrency: int) -> tuple[Snapshot, dict[Any, int], int]:
    ws = require_valid(root, TODAY)
    provider = provider_for(emu, root, read_concurrency=concurrency)
    provider.compile(ws.spec, ws.sources)
    emu.requests.reset()
    snapshot = provider.fetch(provider.kinds)
    requests: dict[Any, int] = {}
    for (method, path), n in emu.requests.counts.items():  # a further page's cursor differs run to run
        key = (method, "query: a further page" if path.startswith("/services/data/v59.0/query/") else path)
        requests[key] = requests.get(key, 0) + n
    return snapshot, requests, provider.client.gate.peak


def test_concurrent_reads_give_the_same_snapshot_in_the_same_requests(emu: SalesforceEmulator, tmp_path: Path) -> None:
    root = _scaled(tmp_path / "ws", emu)
    emu.faults.latency_s = 0.02  # requests take long enough to overlap
    alone, alone_requests, alone_peak = _read(root, emu, 1)
    together, together_requests, together_peak = _read(root, emu, 10)
    assert alone_peak == 1 and 1 < together_peak <= 10
    assert together_requests == alone_requests
    assert alone_requests[("GET", "query: a further page")] == 2  # 4,400 field permissions: three pages
    assert list(together.objects.items()) == list(alone.objects.items())  # same objects, same order
    assert together.facts == alone.facts and together.kinds == alone.kinds


def test_a_daily_allocation_said_used_up_stops_the_run_before_sending(emu: SalesforceEmulator, tmp_path: Path) -> None:
    root = small_workspace(tmp_path / "ws", emu, "fields:\n  deal:\n    - {name: seats, label: Seats, type: number}\n")
    client = provider_for(emu, root).client
    emu._api_calls = DAILY_API_LIMIT - 1  # the org spent its day's allocation but one call: this one
    client.query("SELECT Id FROM User")  # answered: api-usage=15000/15000
    with pytest.raises(LimitExceededError, match=r"daily API request allocation \(api-usage=15000/15000\) is used up"):
        client.query("SELECT Id FROM User")
    assert emu.requests.total == 1


def test_the_confirming_read_reads_the_fields_and_nothing_else(emu: SalesforceEmulator, tmp_path: Path) -> None:
    body = "fields:\n  deal:\n" + "".join(
        f"    - {{name: seats_{i}, label: Seats {i}, type: {'picklist, options: [A, B]' if i % 2 else 'number'}}}\n"
        for i in range(12))
    root = small_workspace(tmp_path / "ws", emu, body)
    provider = provider_for(emu, root)
    plan, compiled = make_plan(provider, root)
    report = apply_plan(plan, provider, Journal(root / ".crmconf" / "journal.jsonl"))
    assert report.count(Outcome.APPLIED) == 12
    emu.requests.reset()
    verified = reread(report, provider, kinds_of(compiled, provider))
    assert verified.verified and not verified.unverified
    # One Composite Batch (the describes, the users, and the six picklists' usage: room for them), one
    # listMetadata, and the twelve fields read back 10 a call.
    assert dict(emu.requests.counts) == {("POST", "/services/data/v59.0/composite/batch"): 1,
                                         ("POST", "/services/Soap/m/59.0/"): 3}
