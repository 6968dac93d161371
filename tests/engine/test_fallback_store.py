"""A provider with no place in its CRM: the record falls back to the workspace, and plans say so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CLI


@pytest.fixture
def plain_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A third-party provider (the local org without its state store), installed through the entry point."""
    (tmp_path / "crmconf_plainlocal.py").write_text(
        "from crmconf_local import LocalProvider\n\n\n"
        "class PlainProvider(LocalProvider):\n"
        "    name = 'plainlocal'\n"
        "    state_store = None  # nowhere in the CRM to keep crmconf's documents\n"
    )
    dist = tmp_path / "crmconf_plainlocal-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: crmconf-plainlocal\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[crmconf.providers]\nplainlocal = crmconf_plainlocal:PlainProvider\n")
    monkeypatch.syspath_prepend(str(tmp_path))


@pytest.mark.usefixtures("plain_plugin")
def test_the_record_falls_back_to_this_machine_and_says_so(cli: CLI, workspace: Path) -> None:
    config = workspace / "crmconf.yaml"
    config.write_text(config.read_text().replace("local: {provider: local}", "local: {provider: plainlocal}"))
    applied = cli("apply", "-w", workspace, "--auto-approve")
    assert applied.code == 0, applied.err
    assert "kept in .crmconf/state/local/ on this machine only (provider plainlocal offers no place in the CRM)" \
        in applied.err
    record = json.loads((workspace / ".crmconf" / "state" / "local" / "managed.json").read_text())
    assert len(record["managed"]) == 10 and record["target"] == "local"
    org = json.loads((workspace / ".crmconf" / "local-org.json").read_text())
    assert not org.get("state")  # nothing in the CRM itself
    permissions = workspace / "permissions.yaml"
    permissions.unlink()  # a managed item removed from the spec: the fallback record still knows it
    planned = cli("plan", "-w", workspace)
    assert "- permission.sales_rep" in planned.out and "crmconf manages it" in planned.out
