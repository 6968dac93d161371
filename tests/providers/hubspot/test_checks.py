"""`crmconf validate` refuses, located, the deal stage probabilities HubSpot does not document (P403),
on workspaces with a HubSpot target only: Salesforce keeps its 0-100 percentages."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmconf.cli import run
from crmconf.validation import validate
from tests.providers.hubspot.conftest import TODAY

TARGETS = {
    "hubspot": "targets:\n  hs: {provider: hubspot, settings: {token_env: HUBSPOT_TOKEN}}\n",
    "salesforce": "targets:\n  sf: {provider: salesforce, settings: {instance_url: 'https://x.my.salesforce.com', "
                  "session_env: SF_SESSION}}\n",
}


def workspace(root: Path, provider: str, stages: str) -> Path:
    root.mkdir()
    default = "hs" if provider == "hubspot" else "sf"
    (root / "crmconf.yaml").write_text(f"version: 1\ndefault_target: {default}\n{TARGETS[provider]}")
    (root / "pipelines.yaml").write_text(
        "pipelines:\n  - name: sales\n    object: deal\n    label: Sales\n    stages:\n" + stages)
    return root


STAGES = ("      - {name: open, label: Open, probability: 20}\n"
          "      - {name: won, label: Won, probability: 100, outcome: won}\n"
          "      - {name: lost, label: Lost, probability: 0, outcome: lost}\n")


@pytest.mark.parametrize(("stage", "why"), [
    ("{name: demo, label: Demo, probability: 25}", "in steps of 10 %"),
    ("{name: late, label: Late, probability: 100}", "100 % means closed won"),
    ("{name: cold, label: Cold, probability: 0}", "0 % means closed lost"),
    ("{name: won2, label: Won 2, probability: 90, outcome: won}", "a won stage is 100 %"),
    ("{name: lost2, label: Lost 2, probability: 40, outcome: lost}", "a lost stage is 0 %"),
])
def test_undocumented_probabilities_are_located_errors_on_a_hubspot_target(tmp_path: Path, stage: str,
                                                                           why: str) -> None:
    root = workspace(tmp_path / "ws", "hubspot", STAGES + f"      - {stage}\n")
    result, diagnostics, _ = validate(root, TODAY)
    (problem,) = [d for d in diagnostics if d.code == "P403"]
    assert result is None and problem.is_error and why in problem.message and "target hs" in problem.message
    assert str(problem.location).startswith("pipelines.yaml:9:")
    sf = workspace(tmp_path / "sf", "salesforce", STAGES + f"      - {stage}\n")
    assert not [d for d in validate(sf, TODAY)[1] if d.code == "P403"]


def test_documented_probabilities_validate(tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws", "hubspot", STAGES)
    assert validate(root, TODAY)[0] is not None


def test_the_cli_prints_the_location_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = workspace(tmp_path / "ws", "hubspot", STAGES + "      - {name: demo, label: Demo, probability: 25}\n")
    assert run(["validate", str(root)]) == 1
    out = capsys.readouterr().out
    assert "pipelines.yaml:9:" in out and "P403" in out and "use 20 or 30" in out


def test_specs_validate_against_hubspot() -> None:
    assert validate(Path(__file__).resolve().parents[3] / "specs", TODAY)[0] is not None
