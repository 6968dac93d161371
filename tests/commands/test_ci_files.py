"""The CI glue parses and has what the council's workflow needs: action.yml, pre-commit hook, docs/ci.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from crmconf.render.plan_markdown import MARKER

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


def test_action_steps(action: Any) -> None:
    steps = action["runs"]["steps"]
    setup = steps[0]
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"
    install = steps_running(action, "pip install")
    assert len(install) == 1 and "$ACTION_PATH" in install[0]["run"]
    assert install[0]["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert "--format github" in steps_running(action, "crmconf validate")[0]["run"]
    assert "--base" in steps_running(action, "crmconf diff")[0]["run"]
    plan = next(s for s in steps if s.get("id") == "plan")
    assert "--format markdown" in plan["run"] and "--format json" in plan["run"]
    assert "GITHUB_STEP_SUMMARY" in plan["run"] and "GITHUB_OUTPUT" in plan["run"]
    assert "has_changes=" in plan["run"] and "needs_signoff=" in plan["run"]
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash"  # composite run steps must name their shell
            assert "${{" not in step["run"], "pass inputs through env:, never into the script text"
    comment = steps[-1]
    assert comment["uses"].startswith("actions/github-script@")
    script = comment["with"]["script"]
    assert MARKER in script and "updateComment" in script and "createComment" in script
    assert "github.event.pull_request.number" in comment["if"]


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


def test_docs_ci_workflows_parse() -> None:
    blocks = [
        YAML(typ="safe").load(b) for b in yaml_blocks((REPO / "docs" / "ci.md").read_text(encoding="utf-8"))
    ]
    workflows = [b for b in blocks if isinstance(b, dict) and "jobs" in b]
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
    assert "--by-owner" in run and "--github-issues" in run and audit["permissions"]["issues"] == "write"

    apply = next(w for w in workflows if w["name"] == "crmconf apply")
    assert "push" in apply["on"] and "crmconf apply" in str(apply["jobs"])

    drift = next(w for w in workflows if w["name"] == "crmconf drift")
    job = next(iter(drift["jobs"].values()))
    run = "\n".join(str(s.get("run", "")) for s in job["steps"])
    assert "crmconf drift" in run and "--format markdown" in run and '"$code" -eq 1' in run
    assert any(s.get("if") == "steps.drift.outputs.code == '2'" for s in job["steps"])

    pre_commit = next(b for b in blocks if isinstance(b, dict) and "repos" in b)
    assert pre_commit["repos"][0]["hooks"][0]["id"] == "crmconf-validate"


def test_docs_ci_tells_the_council_road_in_order() -> None:
    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    road = ["Pull request", "Sign-off check", "Merge", "Apply to the sandbox", "Promote"]
    at = [text.index(f"**{step}") for step in road]
    assert at == sorted(at)
    assert "crmconf/sign-off" in text and "--strict" in text
