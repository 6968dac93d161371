"""The Action's own steps, run as GitHub runs them (bash, env, GITHUB_OUTPUT), against the loopback GitHub:
the sign-off step posts a failing check until each team approves, and validate runs --strict."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.council.test_checked_signoff import PR, REPO, github, open_pull  # noqa: F401  (fixture)
from tests.emulators.github import GitHubEmulator

ROOT = Path(__file__).resolve().parents[2]
STEPS = {s.get("id") or s.get("name"): s for s in YAML(typ="safe").load((ROOT / "action.yml").read_text())["runs"]["steps"]}


def run_step(step: dict[str, Any], cwd: Path, tmp: Path, env: dict[str, str]) -> tuple[int, dict[str, str]]:
    output = tmp / "output"
    output.write_text("")
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(tmp / "summary"), "RUNNER_TEMP": str(tmp),
        "CRMCONF_TODAY": "2026-11-23", "NO_COLOR": "1", **env,
    }
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=environ, capture_output=True, text=True,
                          timeout=120)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return done.returncode, outputs


def test_the_signoff_step_is_the_required_check(tmp_path: Path, github: GitHubEmulator) -> None:  # noqa: F811
    pull = open_pull(github, tmp_path, {"set": {"terminology.1.definition": "A lead marketing qualified by fit."}})
    step = STEPS["signoff"]
    env = {"WORKSPACE": "specs", "BASE": pull.base, "PLAN": "", "PR_NUMBER": str(PR), "GITHUB_TOKEN": "tok-ci",
           "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": github.base_url}
    code, outputs = run_step(step, pull.ws.parent, tmp_path, env)
    assert code == 0 and outputs == {"signed_off": "false"}
    assert pull.status()["state"] == "pending" and "waiting for marketing" in str(pull.status()["description"])
    assert "marketing" in (tmp_path / "summary").read_text()
    pull.review("lena", "APPROVE")
    code, outputs = run_step(step, pull.ws.parent, tmp_path, env)
    assert code == 0 and outputs == {"signed_off": "true"} and pull.status()["state"] == "success"
    code, _ = run_step(step, pull.ws.parent, tmp_path, {**env, "GITHUB_TOKEN": "tok-unknown"})
    assert code == 1  # an error, not a missing sign-off: the job fails


def test_validate_is_strict(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "crmconf.yaml").write_text("version: 1\n")
    (ws / "automations.yaml").write_text(
        "automations:\n  - {name: nudge, binds: {local: x}, owner: jo@acme.example, purpose: p}\n")  # never reviewed
    step = STEPS["validate"]
    env = {"WORKSPACE": "ws", "OUT": str(tmp_path)}
    assert run_step(step, tmp_path, tmp_path, {**env, "STRICT": "true"})[0] == 1
    assert "warning I504" in (tmp_path / "validate.log").read_text()  # the findings as text, for the comment
    assert run_step(step, tmp_path, tmp_path, {**env, "STRICT": "false"})[0] == 0
