"""Reads sent concurrently: the same snapshot and requests as one at a time, within the rate budget the
X-HubSpot-RateLimit-* headers announce, and a verifying re-read of only what the apply touched."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from crmconf.engine.apply import Outcome, apply_plan, reread
from crmconf.engine.journal import Journal
from crmconf.engine.plan import kinds_of, make_plan
from crmconf.engine.resource import Snapshot
from crmconf.errors import LimitExceededError
from crmconf.validation import require_valid
from tests.emulators.hubspot import HubSpotEmulator
from tests.providers.hubspot.conftest import TARGET, TODAY, provider_for


def _read(root: Path, emu: HubSpotEmulator, concurrency: int) -> tuple[Snapshot, dict[Any, int], int]:
    ws = require_valid(root, TODAY)
    provider = provider_for(root, emu, read_concurrency=concurrency)
    provider.compile(ws.spec, ws.sources)
    emu.requests.reset()
    snapshot = provider.fetch(provider.kinds)
    return snapshot, dict(emu.requests.counts), provider.client.gate.peak


def test_concurrent_reads_give_the_same_snapshot_in_the_same_requests(emu: HubSpotEmulator, ws: Path) -> None:
    emu.faults.latency_s = 0.02  # requests take long enough to overlap
    alone, alone_requests, alone_peak = _read(ws, emu, 1)
    together, together_requests, together_peak = _read(ws, emu, 5)
    assert alone_peak == 1 and 1 < together_peak <= 5
    assert together_requests == alone_requests
    assert list(together.objects.items()) == list(alone.objects.items())  # same objects, same order
    assert together.facts == alone.facts and together.kinds == alone.kinds


class _Announcing:
    """The portal's rate-limit headers on every answer, as a test sets them (the emulator counts none)."""

    def __init__(self, *, remaining: int = 150, interval_ms: int = 10_000, daily: int = 500_000) -> None:
        self.headers = {"X-HubSpot-RateLimit-Max": "190", "X-HubSpot-RateLimit-Remaining": str(remaining),
                        "X-HubSpot-RateLimit-Interval-Milliseconds": str(interval_ms),
                        "X-HubSpot-RateLimit-Daily": "500000", "X-HubSpot-RateLimit-Daily-Remaining": str(daily)}

    def hit(self) -> dict[str, str]:
        return dict(self.headers)


def test_a_burst_window_said_used_up_is_waited_out_before_the_next_request(emu: HubSpotEmulator, ws: Path) -> None:
    emu.rate = _Announcing(remaining=0, interval_ms=3_000)  # type: ignore[assignment]
    client = provider_for(ws, emu).client
    client.call("list pipelines", client.api("pipelines").get_all, "deals", idempotent=True)
    started = time.monotonic()
    client.call("list pipelines", client.api("pipelines").get_all, "deals", idempotent=True)
    assert time.monotonic() - started >= 0.29  # a tenth of the window rolled first, as a 429 would have said
    assert emu.requests.total == 2 and not emu.faults.pending()


def test_a_daily_allowance_said_used_up_stops_the_run_before_sending(emu: HubSpotEmulator, ws: Path) -> None:
    emu.rate = _Announcing(daily=0)  # type: ignore[assignment]
    client = provider_for(ws, emu).client
    client.call("list pipelines", client.api("pipelines").get_all, "deals", idempotent=True)
    with pytest.raises(LimitExceededError, match=r"HubSpot.s daily limit .* is used up .*; nothing more was sent"):
        client.call("list pipelines", client.api("pipelines").get_all, "deals", idempotent=True)
    assert emu.requests.total == 1


def test_a_429_makes_every_concurrent_read_wait_and_the_plan_still_reads_everything(
    emu: HubSpotEmulator, ws: Path
) -> None:
    calm, calm_requests, _ = _read(ws, emu, 1)
    emu.faults.inject("rate_limit", times=3, methods=("GET",), path="/crm/v3/properties/")
    stormy, stormy_requests, _ = _read(ws, emu, 5)
    assert list(stormy.objects.items()) == list(calm.objects.items())
    assert sum(stormy_requests.values()) == sum(calm_requests.values()) + 3  # each refusal retried once
    assert not emu.faults.pending()


def test_the_confirming_read_reads_the_properties_and_nothing_else(emu: HubSpotEmulator, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "crmconf.yaml").write_text(
        f"version: 1\ndefault_target: {TARGET}\ntargets:\n  {TARGET}:\n    provider: hubspot\n"
        f"    settings: {{token_env: HUBSPOT_TOKEN, base_url: \"{emu.base_url}\", strict_decoding: true}}\n"
        "policies: {require_automation_owner: false}\n")
    (root / "fields.yaml").write_text("fields:\n  deal:\n    - {name: seats, label: Seats, type: number}\n"
                                      "  company:\n    - {name: tier, label: Tier, type: text}\n")
    ws = require_valid(root, TODAY)
    provider = provider_for(root, emu)
    plan, compiled, _ = make_plan(ws, TARGET, provider)
    report = apply_plan(plan, provider, Journal(root / ".crmconf" / "journal.jsonl"))
    assert report.count(Outcome.APPLIED) == 2
    emu.requests.reset()
    verified = reread(report, provider, kinds_of(compiled, provider))
    assert verified.verified and not verified.unverified
    assert dict(emu.requests.counts) == {("GET", "/crm/v3/properties/deals"): 1,
                                         ("GET", "/crm/v3/properties/companies"): 1}
