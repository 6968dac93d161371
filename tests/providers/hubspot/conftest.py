"""Fixtures for the HubSpot provider tests: the emulator, a workspace pointed at it, the real engine.

Every test drives the real hubspot-api-client (decoding with `client_side_validation=True`, the
provider's `strict_decoding` setting) over HTTP against `tests/emulators/hubspot.py`; nothing in the
client is patched. Retry waits are kept tiny through the provider's own `retry` setting.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from crmconf_hubspot import HubSpotProvider

from crmconf.engine.apply import Report, apply_plan, refuse_destroy, verify
from crmconf.engine.changes import Plan
from crmconf.engine.journal import Journal
from crmconf.engine.plan import kinds_of, make_plan
from crmconf.providers import ProviderContext, opened
from crmconf.validation import require_valid
from tests.emulators.hubspot import HubSpotEmulator

REPO = Path(__file__).resolve().parents[3]
TARGET = "hubspot-prod"
TODAY = date(2026, 11, 23)
# Searches a second on both sides: the emulator enforces it, the provider paces under it. HubSpot's own
# limit (4-5 a second) is exercised by the tests that are about it; the others need not wait for it.
FAST_SEARCH = 400
# The emulator answers consistently at once: the apply lock's read-back needs no settling time here.
LOCK_SETTLE = 0.01
# The owners specs/automations.yaml names: active HubSpot users on the test portal.
SPEC_OWNERS = ("devon.price@acme.example", "maria.lopez@acme.example", "sam.okafor@acme.example",
               "lena.fischer@acme.example",
               # the SDRs inbound_lead_routing rotates among
               "priya@acme.example", "tomas@acme.example", "jo@acme.example")


def emulator_settings(emu: HubSpotEmulator, **extra: Any) -> dict[str, Any]:
    return {"token_env": "HUBSPOT_TOKEN", "base_url": emu.base_url, "strict_decoding": True, "timeout": 0.4,
            "retry": {"base_delay": 0.001, "max_delay": 0.01, "max_attempts": 6},
            "search_per_second": FAST_SEARCH, "lock_settle": LOCK_SETTLE, **extra}


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubSpotEmulator]:
    with HubSpotEmulator(search_per_second=FAST_SEARCH) as emulator:
        emulator.faults.timeout_stall_s = 0.8  # longer than the provider's 0.4 s timeout
        for email in SPEC_OWNERS:
            emulator.add_user(email)
        monkeypatch.setenv("HUBSPOT_TOKEN", emulator.token)
        yield emulator


def settings_block(settings: dict[str, Any]) -> str:
    retry = settings.get("retry", {})
    lines = [f"      token_env: {settings['token_env']}", f"      base_url: {settings['base_url']}",
             f"      strict_decoding: {str(settings.get('strict_decoding', True)).lower()}",
             f"      timeout: {settings.get('timeout', 0.4)}",
             f"      search_per_second: {settings.get('search_per_second', FAST_SEARCH)}",
             f"      lock_settle: {settings.get('lock_settle', LOCK_SETTLE)}"]
    if retry:
        lines.append("      retry: {" + ", ".join(f"{k}: {v}" for k, v in retry.items()) + "}")
    return "\n".join(lines)


def make_workspace(root: Path, emu: HubSpotEmulator, **extra: Any) -> Path:
    """A copy of specs/ whose hubspot-prod target points at the emulator."""
    shutil.copytree(REPO / "specs", root, ignore=shutil.ignore_patterns(".crmconf"))
    config = root / "crmconf.yaml"
    text, n = re.subn(r"^      token_env: HUBSPOT_TOKEN.*$", settings_block(emulator_settings(emu, **extra)),
                      config.read_text(), flags=re.MULTILINE)
    assert n == 1, "specs/crmconf.yaml no longer has the hubspot-prod token_env line"
    config.write_text(text)
    return root


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert text.count(old) >= count, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count))


@pytest.fixture
def ws(tmp_path: Path, emu: HubSpotEmulator) -> Path:
    return make_workspace(tmp_path / "ws", emu)


def provider_for(root: Path, emu: HubSpotEmulator, **extra: Any) -> HubSpotProvider:
    return HubSpotProvider(ProviderContext(TARGET, emulator_settings(emu, **extra), root))


@dataclass
class Engine:
    """The real engine, in-process: plan, then apply and verify exactly as `crmconf apply` does."""

    root: Path

    def plan(self) -> Plan:
        ws = require_valid(self.root, TODAY)
        with opened(ws.spec, ws.sources, self.root, TARGET) as (name, provider):
            plan, _, _ = make_plan(ws, name, provider)
        return plan

    def apply(self, *, allow_destroy: bool = True) -> Report:
        ws = require_valid(self.root, TODAY)
        with opened(ws.spec, ws.sources, self.root, TARGET) as (name, provider):
            plan, compiled, _ = make_plan(ws, name, provider)
            assert not plan.errors, [d.message for d in plan.errors]
            refuse_destroy(plan, allow_destroy)
            journal = Journal(self.root / ".crmconf" / "journal.jsonl")
            report = apply_plan(plan, provider, journal)
            return verify(report, provider.fetch(kinds_of(compiled, provider)))


@pytest.fixture
def engine(ws: Path) -> Engine:
    return Engine(ws)


def failures(report: Report) -> list[str]:
    return [f"{r.change.address}: {r.outcome.value} {r.detail}" for r in report.results if r.outcome.value != "applied"]


def duplicates(emu: HubSpotEmulator) -> list[str]:
    """Anything created twice: pipelines by label per object, stages by label per pipeline, flows by name
    (properties are unique by name)."""
    seen: list[str] = [f"pipeline {o}/{p['label']}" for o in ("deals", "tickets") for p in emu.pipelines(o)]
    seen += [f"flow {f['name']}" for f in emu.flows()]
    seen += [f"stage {o}/{p['label']}/{s['label']}" for o in ("deals", "tickets") for p in emu.pipelines(o)
             for s in p["stages"]]
    return sorted({s for s in seen if seen.count(s) > 1})
