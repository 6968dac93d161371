"""The CI glue parses and has what the council's workflow needs: action.yml, pre-commit hook, docs/ci.md."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]


def load(path: Path) -> Any:
    return YAML(typ="rt").load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def action() -> Any:
    return load(REPO / "action.yml")


def steps_running(action: Any, needle: str) -> list[Any]:
    return [s for s in action["runs"]["steps"] if needle in str(s.get("run", ""))]


def test_action_is_a_composite_with_the_inputs_and_outputs(action: Any) -> None:
    assert action["name"] and action["description"]
    assert action["runs"]["using"] == "composite"
    assert {"workspace", "target", "base-ref", "python-version"} <= set(action["inputs"])
    for spec in action["inputs"].values():
        assert spec["description"] and "default" in spec
    outputs = action["outputs"]
    assert set(outputs) >= {"has_changes", "needs_signoff"}
    assert outputs["has_changes"]["value"] == "${{ steps.plan.outputs.has_changes }}"
    assert outputs["needs_signoff"]["value"] == "${{ steps.plan.outputs.needs_signoff }}"


SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def every_uses(data: Any) -> list[str]:
    steps = list(data.get("runs", {}).get("steps", []))
    for job in (data.get("jobs") or {}).values():
        steps += job.get("steps", [])
    return [str(s["uses"]) for s in steps if "uses" in s]


def test_action_steps(action: Any) -> None:
    steps = action["runs"]["steps"]
    setup = steps[0]
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"
    assert setup["with"]["cache"] == "pip" and setup["with"]["cache-dependency-path"].endswith("requirements/ci.txt")
    install = steps_running(action, "pip install")
    assert len(install) == 1 and "--require-hashes -r \"$ACTION_PATH/requirements/ci.txt\"" in install[0]["run"]
    assert "--no-deps" in install[0]["run"] and install[0]["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert "--format github" in steps_running(action, "crmconf validate")[0]["run"]
    assert "--base" in steps_running(action, "crmconf diff")[0]["run"]
    plan = next(s for s in steps if s.get("id") == "plan")
    assert plan["run"].count("crmconf plan ") == 1, "the CRM is read once"
    assert "crmconf show" in plan["run"] and "--out" in plan["run"]
    assert "GITHUB_STEP_SUMMARY" in plan["run"] and "GITHUB_OUTPUT" in plan["run"]
    assert "has_changes=" in plan["run"] and "needs_signoff=" in plan["run"]
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash"  # composite run steps must name their shell
            assert "${{" not in step["run"], "pass inputs through env:, never into the script text"
    comment = steps[-1]
    assert "crmconf ci comment" in comment["run"] and "--key" in comment["run"]
    assert "!cancelled()" in comment["if"] and "github.event.pull_request.number" in comment["if"]


@pytest.mark.parametrize("path", ["action.yml", "setup/action.yml"])
def test_actions_are_pinned_by_commit_on_node24_majors(path: str) -> None:
    data = load(REPO / path)
    uses = every_uses(data)
    assert uses and all(SHA_PIN.match(u.split(" ")[0]) for u in uses), uses
    text = (REPO / path).read_text(encoding="utf-8")
    assert re.search(r"actions/setup-python@[0-9a-f]{40} # v7\.", text)  # the comment names the release


def test_the_lock_pins_every_dependency_by_hash() -> None:
    """requirements/ci.txt (what the Action installs) covers pyproject's dependencies and both vendor SDK
    extras, each satisfied."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    lock_text = (REPO / "requirements" / "ci.txt").read_text(encoding="utf-8")
    pinned = {canonicalize_name(m[0]): m[1] for m in re.findall(r"^([A-Za-z0-9_.-]+)==([^ ;\\\n]+)", lock_text, re.M)}
    entries = re.findall(r"^[A-Za-z0-9_.-]+==.*?(?=^[A-Za-z0-9_.-]+==|\Z)", lock_text, re.M | re.S)
    assert len(entries) == len(pinned) and all("--hash=sha256:" in e for e in entries)
    extras = pyproject["project"]["optional-dependencies"]
    for line in [*pyproject["project"]["dependencies"], *extras["salesforce"], *extras["hubspot"]]:  # every CRM
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name in pinned, f"{name} is not in requirements/ci.txt: run `make lock`"
        assert req.specifier.contains(pinned[name], prereleases=True), f"{name}=={pinned[name]} vs {req}"
    assert "hatchling" in pinned  # crmconf itself installs with --no-build-isolation from the lock


def test_pre_commit_hook() -> None:
    hooks = load(REPO / ".pre-commit-hooks.yaml")
    hook = next(h for h in hooks if h["id"] == "crmconf-validate")
    assert hook["entry"] == "crmconf validate" and hook["language"] == "python"
    assert hook["pass_filenames"] is False
    pattern = re.compile(hook["files"])
    assert pattern.search("specs/pipelines/new.yaml") and pattern.search("crmconf.yml")
    assert not pattern.search("README.md") and not pattern.search("x.yaml.bak")


def yaml_blocks(markdown: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", markdown, re.S)


def docs_workflows() -> list[Any]:
    blocks = [
        YAML(typ="safe").load(b) for b in yaml_blocks((REPO / "docs" / "ci.md").read_text(encoding="utf-8"))
    ]
    return [b for b in blocks if isinstance(b, dict) and "jobs" in b]


def test_docs_ci_workflows_parse() -> None:
    workflows = docs_workflows()
    council = next(w for w in workflows if "pull_request" in w["on"])
    assert council["on"]["pull_request_review"]["types"] == ["submitted", "dismissed"]  # approvals re-check
    job = next(iter(council["jobs"].values()))
    assert job["permissions"]["pull-requests"] == "write" and job["permissions"]["statuses"] == "write"
    checkout = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    assert any("crmconf" in str(s.get("uses", "")) for s in job["steps"])

    audit = next(w for w in workflows if w["name"] == "crmconf audit")
    job = next(iter(audit["jobs"].values()))
    run = "\n".join(str(s.get("run", "")) for s in job["steps"])
    assert "--by-owner" in run and "--github-issues" in run and job["permissions"]["issues"] == "write"

    apply = next(w for w in workflows if w["name"] == "crmconf apply")
    assert "push" in apply["on"] and "crmconf apply plan.json" in str(apply["jobs"])
    job = next(iter(apply["jobs"].values()))
    assert job["environment"] and job["concurrency"]["cancel-in-progress"] is False  # never cut mid-apply

    drift = next(w for w in workflows if w["name"] == "crmconf drift")
    job = next(iter(drift["jobs"].values()))
    run = "\n".join(str(s.get("run", "")) for s in job["steps"])
    assert "crmconf drift" in run and "--format markdown" in run and "crmconf ci fit" in run
    assert any(s.get("if") == "steps.drift.outputs.code == '2'" for s in job["steps"])

    pre_commit = next(b for b in (YAML(typ="safe").load(x) for x in yaml_blocks(
        (REPO / "docs" / "ci.md").read_text(encoding="utf-8"))) if isinstance(b, dict) and "repos" in b)
    assert pre_commit["repos"][0]["hooks"][0]["id"] == "crmconf-validate"
    assert re.fullmatch(r"v\d+\.\d+\.\d+", pre_commit["repos"][0]["rev"])  # a release tag, not a moving `v1`


def test_docs_workflows_follow_the_conventions() -> None:
    for workflow in docs_workflows():
        assert workflow["permissions"] == {}, workflow["name"]  # each job asks for what it uses
        for name, job in workflow["jobs"].items():
            assert "permissions" in job and job.get("name"), (workflow["name"], name)
            uses = every_uses({"jobs": {name: job}})
            assert all(SHA_PIN.match(u) for u in uses), uses
            assert not any("pip install" in str(s.get("run", "")) for s in job["steps"]), "pinned installs only"
            for step in job["steps"]:
                if str(step.get("uses", "")).startswith("actions/checkout"):
                    assert step["with"]["persist-credentials"] is False


def drift_step() -> str:
    workflow = next(w for w in docs_workflows() if w["name"] == "crmconf drift")
    return str(next(s for s in next(iter(workflow["jobs"].values()))["steps"] if s.get("id") == "drift")["run"])


@pytest.mark.parametrize(("code", "job_passes"), [(0, True), (2, True), (1, False), (70, False), (130, False)])
def test_the_drift_step_honours_exit_codes(tmp_path: Path, code: int, job_passes: bool) -> None:
    """0 and 2 are answers; an error or a crash fails the job (it used to pass green on 70)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "crmconf").write_text(f"#!/bin/bash\necho '# drift'\nexit {code}\n")
    (fake / "crmconf").chmod(0o755)
    output = tmp_path / "out"
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}", "GITHUB_OUTPUT": str(output)}
    done = subprocess.run(["bash", "-e", "-c", drift_step()], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert (done.returncode == 0) is job_passes
    assert output.read_text() == f"code={code}\n"


def test_docs_ci_tells_the_council_road_in_order() -> None:
    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    road = ["Pull request", "Sign-off check", "Merge", "Apply to the sandbox", "Promote"]
    at = [text.index(f"**{step}") for step in road]
    assert at == sorted(at)
    assert "crmconf/sign-off" in text and "--strict" in text
