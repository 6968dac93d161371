"""`make lint` for the CI files: the Action, the setup action and every workflow docs/ci.md tells users to
save, checked the way a platform team would check them.

- zizmor (offline): security audits of workflows and composite actions (unpinned actions, template
  injection, credentials kept by checkout, excessive permissions, cache poisoning...).
- check-jsonschema with SchemaStore's published schemas for workflows and actions (vendored in it).
- shellcheck on every `run:` script, with each `${{ ... }}` expression replaced by a placeholder.

actionlint itself is not used: on PyPI it is a source package that downloads its binary from GitHub at
build time (not reachable here), Debian does not package it, and npm carries only a 2022 WebAssembly
build (1.6.22). The schema check and shellcheck cover what it would check here, zizmor the rest.
Exits non-zero on any finding.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
ACTIONS = [ROOT / "action.yml", ROOT / "setup" / "action.yml"]
DOCS = [ROOT / "docs" / "ci.md"]
BIN = Path(sys.executable).parent


def documented_workflows() -> dict[str, str]:
    """Every YAML block of the docs that is a workflow, by a file name made from its `name:`."""
    found: dict[str, str] = {}
    for doc in DOCS:
        for block in re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S):
            data = YAML(typ="safe").load(block)
            if isinstance(data, dict) and "jobs" in data:
                name = re.sub(r"[^a-z0-9]+", "-", str(data["name"]).lower()).strip("-")
                found[f"{name}.yml"] = block
    return found


def run_scripts(data: Any) -> list[tuple[str, str, str]]:
    """(where, shell, script) of every run step, in an action or a workflow."""
    steps: list[tuple[str, dict[str, Any]]] = []
    if "runs" in data:
        steps = [(f"step {i + 1}", s) for i, s in enumerate(data["runs"].get("steps", []))]
    for job_name, job in (data.get("jobs") or {}).items():
        steps += [(f"{job_name} step {i + 1}", s) for i, s in enumerate(job.get("steps", []))]
    return [(where, s.get("shell", "bash"), s["run"]) for where, s in steps if "run" in s]


def shellcheck(path: Path, data: Any) -> list[str]:
    findings = []
    for where, shell, script in run_scripts(data):
        if shell != "bash":
            continue
        text = "#!/usr/bin/env bash\n" + re.sub(r"\$\{\{.*?\}\}", "PLACEHOLDER", script, flags=re.S)
        # SC2154: the variables come from the step's env:, which shellcheck cannot see.
        done = subprocess.run([str(BIN / "shellcheck"), "--exclude=SC2154", "-"], input=text, text=True,
                              capture_output=True)
        if done.returncode:
            findings.append(f"{path.name} ({where}):\n{done.stdout}")
    return findings


def main() -> int:
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp)
        workflows = tree / ".github" / "workflows"
        workflows.mkdir(parents=True)
        for name, text in documented_workflows().items():
            (workflows / name).write_text(text, encoding="utf-8")
        for action in ACTIONS:
            where = tree / action.relative_to(ROOT)
            where.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(action, where)
        wf_files = sorted(workflows.glob("*.yml"))
        if len(wf_files) < 4:
            failures.append(f"expected the council, apply, promote, audit and drift workflows; found {wf_files}")
        checks = [
            [str(BIN / "zizmor"), "--offline", "--no-progress", "--persona", "pedantic", str(tree)],
            [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, wf_files)],
            [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-actions", *map(str, ACTIONS)],
        ]
        for command in checks:
            done = subprocess.run(command, text=True, capture_output=True, cwd=tree)
            if done.returncode:
                failures.append(f"$ {Path(command[0]).name} {' '.join(command[1:3])} ...\n{done.stdout}{done.stderr}")
        for path in [*ACTIONS, *wf_files]:
            failures += shellcheck(path, YAML(typ="safe").load(path.read_text(encoding="utf-8")))
    for failure in failures:
        print(failure, file=sys.stderr)
    print(f"ci-lint: {len(ACTIONS)} actions and {len(wf_files)} documented workflows: "
          + (f"{len(failures)} check(s) failed" if failures else "zizmor, SchemaStore schemas and shellcheck clean"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
