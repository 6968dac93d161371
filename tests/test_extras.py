"""The vendor SDKs are extras: without them crmconf imports, validates and runs the local provider, and a
target that needs a missing SDK is refused with the extra to install (never a traceback).

Each case is a real crmconf process in which importing the SDK fails, as it does where it is not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TODAY

REPO = Path(__file__).resolve().parent.parent
WITHOUT = """
import sys
from importlib.abc import MetaPathFinder

class Absent(MetaPathFinder):  # what Python does when a package is not installed
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {missing!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Absent())
from crmconf.cli import main
sys.argv[0] = "crmconf"
main()
"""
HUBSPOT_TARGET = "  portal:\n    provider: hubspot\n    settings: {token_env: HUBSPOT_TOKEN}\n"


def crmconf(missing: set[str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CRMCONF_TODAY": TODAY, "NO_COLOR": "1", "HUBSPOT_TOKEN": "pat-na1-secret"}
    return subprocess.run([sys.executable, "-c", WITHOUT.format(missing=missing), *map(str, args)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    """A starter workspace with a HubSpot target beside the local one."""
    root = tmp_path / "ws"
    assert crmconf({"hubspot", "simple_salesforce"}, "init", root).returncode == 0
    config = root / "crmconf.yaml"
    config.write_text(config.read_text().replace("targets:\n", "targets:\n" + HUBSPOT_TARGET))
    return root


def test_validate_and_the_local_provider_need_no_sdk(bare: Path) -> None:
    none = {"hubspot", "simple_salesforce"}
    validated = crmconf(none, "validate", "-w", bare)
    assert validated.returncode == 0, validated.stderr
    said = validated.stdout + validated.stderr
    # ...but it says what it could not check, at the target's provider, and --strict (CI) does not pass it
    assert "crmconf.yaml:6:15: warning" in said and "warning S211: target portal" in said and "crmconf[hubspot]" in said
    assert crmconf(none, "validate", "-w", bare, "--strict").returncode == 1
    assert crmconf(set(), "validate", "-w", bare, "--strict").returncode == 0  # with the SDK: nothing to say
    assert crmconf(none, "apply", "-w", bare, "--auto-approve").returncode == 0
    assert crmconf(none, "plan", "-w", bare, "--detailed-exitcode").returncode == 0


@pytest.mark.parametrize(("missing", "provider", "extra", "sdk"), [
    ({"hubspot"}, "hubspot", "hubspot", "hubspot-api-client~="),
    ({"simple_salesforce"}, "salesforce", "salesforce", "simple-salesforce~="),
])
def test_a_target_without_its_sdk_names_the_extra(bare: Path, missing: set[str], provider: str, extra: str,
                                                  sdk: str) -> None:
    config = bare / "crmconf.yaml"
    if provider == "salesforce":
        config.write_text(config.read_text().replace(
            HUBSPOT_TARGET, "  portal:\n    provider: salesforce\n"
            "    settings: {instance_url: 'https://acme.my.salesforce.com', session_env: HUBSPOT_TOKEN}\n"))
    ran = crmconf(missing, "plan", "-w", bare, "-t", "portal")
    assert ran.returncode == 1 and "Traceback" not in ran.stderr
    assert f"crmconf[{extra}]" in ran.stderr and f'pip install "{sdk}' in ran.stderr, ran.stderr
    listed = crmconf(missing, "providers", "--format", "json")
    assert listed.returncode == 0 and provider not in json.loads(listed.stdout)["providers"]
    assert f'crmconf[{extra}]' in json.loads(listed.stdout)["problems"][provider]
