"""`crmconf -v` against the HubSpot emulator, through the real SDK: every request the emulator received is
in the log with its method, path, status and time, retries with their figures, and the token nowhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.emulators.hubspot import HubSpotEmulator
from tests.providers.hubspot.conftest import TARGET
from tests.providers.verbose import RETRY, requests, statuses

PIPELINES = "/crm/v3/pipelines/deals"


def test_every_request_is_logged_and_the_token_never(cli: CLI, emu: HubSpotEmulator, ws: Path) -> None:
    emu.requests.reset()
    emu.faults.inject("server_error", methods=("GET",), path=rf"{PIPELINES}$")  # one retry, logged
    ran = cli("-v", "plan", "-w", ws, "--target", TARGET)
    assert ran.code == 0, ran.err
    logged = requests(ran.err, "hubspot")
    assert logged == emu.requests.counts and sum(logged.values()) > 10  # raw API and generated SDK alike
    first, then = statuses(ran.err, "GET", PIPELINES)
    assert first.startswith("5") and then == "200"
    [retry] = [m.groups() for m in RETRY.finditer(ran.err)]
    assert retry[0] == "hubspot" and retry[2:4] == ("1", "6") and f"HTTP {first}" in retry[4] and float(retry[5]) >= 0
    assert emu.token not in ran.out + ran.err


def test_quiet_without_verbose_and_loud_with_crmconf_log(cli: CLI, emu: HubSpotEmulator, ws: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    assert "crmconf.http" not in cli("plan", "-w", ws, "--target", TARGET).err
    monkeypatch.setenv("CRMCONF_LOG", "crmconf.http=info")
    emu.requests.reset()
    ran = cli("plan", "-w", ws, "--target", TARGET)
    assert requests(ran.err, "hubspot") == emu.requests.counts and emu.token not in ran.err
