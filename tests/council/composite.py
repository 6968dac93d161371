"""Runs a composite action's `run:` steps the way a GitHub runner does, for tests (`act` needs a Docker
engine, which this machine does not have).

What it does as the runner does: each step's `${{ }}` expressions are resolved from the inputs (with their
defaults), the `github` context and earlier steps' outputs and outcomes; `if:` is evaluated (default
`success()`, so a failed step skips the rest unless a step asks for `!cancelled()` or `always()`); each
script runs as `bash -e {0}` with the step's env, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP; the
outputs a step writes become `steps.<id>.outputs`. `uses:` steps (setup-python) and the install step are
not run (taken as succeeded): the test's own Python, with this crmconf installed editable, is on PATH, and
a test must never reinstall it or reach the package index.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}", re.S)
NOT_RUN = {"Install crmconf"}
PATH = re.compile(r"(?<![\w'.])([a-z_]+(?:\.[\w-]+)+)")


@dataclass
class Step:
    key: str
    outcome: str  # success, failure, skipped
    outputs: dict[str, str]
    stderr: str = ""


@dataclass
class Run:
    steps: dict[str, Step] = field(default_factory=dict)
    summary: str = ""

    @property
    def failed(self) -> list[str]:
        return [k for k, s in self.steps.items() if s.outcome == "failure"]


def load(path: Path = ROOT / "action.yml") -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


class Composite:
    def __init__(self, action: Any, *, inputs: dict[str, str], github: dict[str, Any]) -> None:
        self.action = action
        self.inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()} | inputs
        self.github = github

    def lookup(self, path: str, run: Run) -> Any:
        head, *rest = path.split(".")
        if head == "inputs":
            return self.text(self.inputs.get(rest[0], ""), run)  # a default may be an expression
        if head == "steps":
            step = run.steps.get(rest[0])
            if step is None:
                return ""
            return step.outcome if rest[1] == "outcome" else step.outputs.get(rest[2], "")
        if head == "github":
            value: Any = self.github
            for part in rest:
                value = value.get(part, "") if isinstance(value, dict) else ""
            return value
        raise AssertionError(f"the test runner does not know the context {path!r}")

    def evaluate(self, expr: str, run: Run) -> Any:
        """GitHub's expression subset the action uses: contexts, == and !=, &&, ||, !, status functions."""
        ok = all(s.outcome != "failure" for s in run.steps.values())
        python = PATH.sub(lambda m: repr(self.lookup(m.group(1), run)), expr)
        python = (python.replace("&&", " and ").replace("||", " or ").replace("!=", " __ne__ ")
                  .replace("!", " not ").replace(" __ne__ ", "!="))
        python = python.replace("success()", repr(ok)).replace("cancelled()", "False").replace("always()", "True")
        return eval(python, {"__builtins__": {}}, {})  # the action's own expressions, made Python above

    def text(self, value: Any, run: Run) -> str:
        return EXPR.sub(lambda m: str(self.evaluate(m.group(1), run)), str(value))

    def run(self, cwd: Path, tmp: Path, env: dict[str, str]) -> Run:
        run = Run()
        temp = tmp / "runner-temp"
        temp.mkdir(exist_ok=True)
        summary = tmp / "summary.md"
        summary.write_text("")
        for i, step in enumerate(self.action["runs"]["steps"]):
            key = step.get("id") or f"step{i}"
            condition = str(step.get("if", "success()"))
            condition = EXPR.sub(lambda m: m.group(1), condition)
            if not re.search(r"\b(success|failure|always|cancelled)\(\)", condition):
                condition = f"success() && ({condition})"  # GitHub's implicit status check
            if not self.evaluate(condition, run):
                run.steps[key] = Step(key, "skipped", {})
                continue
            if "uses" in step or step.get("name") in NOT_RUN:
                run.steps[key] = Step(key, "success", {})
                continue
            output = tmp / f"output-{key}"
            output.write_text("")
            environ = {
                **{k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")},
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(temp),
                **env,
                **{k: self.text(v, run) for k, v in (step.get("env") or {}).items()},
            }
            done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=environ, capture_output=True,
                                  text=True, timeout=180)
            outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
            run.steps[key] = Step(key, "success" if done.returncode == 0 else "failure", outputs,
                                  done.stderr)
        run.summary = summary.read_text()
        return run
