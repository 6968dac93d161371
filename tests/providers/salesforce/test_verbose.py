"""`crmconf -v` against the Salesforce emulator, through simple-salesforce and zeep: every REST, Composite
and SOAP request the emulator received is in the log with its method, path, status and time, a retried
read with its figures, and the session id nowhere."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import CLI
from tests.emulators.salesforce import SalesforceEmulator
from tests.providers.salesforce.conftest import TARGET, converging_specs
from tests.providers.verbose import RETRY, requests, statuses


def test_every_request_is_logged_and_the_session_never(cli: CLI, emu: SalesforceEmulator, tmp_path: Path) -> None:
    ws = converging_specs(tmp_path / "ws", emu)
    emu.requests.reset()
    emu.faults.inject("server_error", path=r"/composite/batch$")  # a read retried once, logged
    emu.faults.inject("drop", methods=("GET",), path=r"/tooling/query")  # no answer at all: logged too
    ran = cli("-v", "plan", "-w", ws, "--target", TARGET)
    assert ran.code in (0, 2), ran.err
    logged = requests(ran.err, "salesforce")
    assert logged == emu.requests.counts
    assert any("/services/Soap/m/" in path for _, path in logged) and any("/composite/batch" in p for _, p in logged)
    batch = next(path for _, path in logged if path.endswith("/composite/batch"))
    first, *rest = statuses(ran.err, "POST", batch)
    assert first.startswith("5") and "200" in rest
    tooling = next(path for _, path in logged if "/tooling/query" in path)
    assert statuses(ran.err, "GET", tooling)[0].startswith("no answer (")
    retries = [m.groups() for m in RETRY.finditer(ran.err)]
    assert [r[0] for r in retries] == ["salesforce", "salesforce"] and {r[2:4] for r in retries} == {("1", "3")}
    assert emu.session_id not in ran.out + ran.err
