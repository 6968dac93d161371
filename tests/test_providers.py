"""Provider discovery through the `crmconf.providers` entry-point group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crmconf.providers import discover
from tests.conftest import CLI


@pytest.fixture
def broken_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A third-party distribution whose provider cannot be imported."""
    dist = tmp_path / "crmconf_broken-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: crmconf-broken\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[crmconf.providers]\nbroken = crmconf_no_such_module:Provider\n")
    monkeypatch.syspath_prepend(str(tmp_path))


@pytest.mark.usefixtures("broken_plugin")
def test_a_broken_plugin_is_reported_and_the_others_load() -> None:
    found = discover()
    assert "local" in found.providers
    assert "ModuleNotFoundError" in found.problems["broken"]


@pytest.mark.usefixtures("broken_plugin")
def test_providers_command_warns_about_it(cli: CLI) -> None:
    ran = cli("providers", "--format", "json")
    assert ran.code == 0
    assert "broken" in json.loads(ran.out)["problems"]
    assert "provider plugin 'broken' could not be loaded" in ran.err


@pytest.mark.usefixtures("broken_plugin")
def test_a_target_on_a_broken_plugin_is_a_plain_error(cli: CLI, workspace: Path) -> None:
    config = workspace / "crmconf.yaml"
    config.write_text(config.read_text() + "  # a second target\n")
    config.write_text(config.read_text().replace("targets:\n", "targets:\n  other: {provider: broken}\n"))
    ran = cli("plan", workspace, "--target", "other")
    assert ran.code == 1 and "failed to load (ModuleNotFoundError" in ran.err
