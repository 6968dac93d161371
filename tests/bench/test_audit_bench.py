"""The audit benchmark's generated workspace is one crmconf accepts: a bench that cannot run measures nothing."""

from __future__ import annotations

import json
from pathlib import Path

from bench.audit_bench import AS_OF, workspace
from tests.conftest import CLI


def test_the_generated_audit_workspace_validates_and_every_automation_is_audited(tmp_path: Path, cli: CLI) -> None:
    root = workspace(tmp_path / "ws", count=60)
    assert cli("validate", "-w", root).code == 0
    ran = cli("audit", "-w", root, "--offline", "--as-of", AS_OF.isoformat(), "--format", "json")
    assert ran.code == 3, ran.err  # the mix holds overdue and never-reviewed automations: the policy fails
    rows = json.loads(ran.out)["rows"]
    assert sorted(r["name"] for r in rows) == sorted(f"a_{i}" for i in range(60))
