"""validate and plan (validate + compile + fetch + diff) on large workspaces, local provider."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.measure import Figure, run_snippet
from bench.workspace_gen import generate

VALIDATE = """
import json, time
from datetime import date
from pathlib import Path
t = time.perf_counter()
from crmconf.validation import validate
result, diags, _ = validate(Path({root!r}), date(2026, 11, 23))
assert result is not None, [str(d) for d in diags if d.is_error][:3]
print(json.dumps({{"seconds": time.perf_counter() - t}}))
"""

PLAN = """
import json, time
from datetime import date
from pathlib import Path
t = time.perf_counter()
from crmconf.validation import require_valid
from crmconf.providers import opened
from crmconf.engine.plan import make_plan
ws = require_valid(Path({root!r}), date(2026, 11, 23))
with opened(ws.spec, ws.sources, ws.root, None) as (name, provider):
    plan, compiled, snapshot = make_plan(ws, name, provider)
print(json.dumps({{"seconds": time.perf_counter() - t, "changes": len(plan.changes),
                   "resources": len(compiled.resources), "live": len(snapshot.objects)}}))
"""

APPLY = """
import json, time
from datetime import date
from pathlib import Path
from crmconf.cli import run
t = time.perf_counter()
code = run(["apply", "--dir", {root!r}, "--auto-approve"])
assert code == 0
print(json.dumps({{"seconds": time.perf_counter() - t}}))
"""

SIZES = {"1k": 1_000, "10k": 10_000, "50k": 50_000}


def workspace(tmp: Path, fields: int) -> Path:
    scale = fields / 10_000
    return generate(
        tmp / f"ws-{fields}",
        fields=fields,
        pipelines=max(1, int(200 * scale)),
        automations=max(1, int(1000 * scale)),
        permissions=max(1, int(50 * scale)),
    )


def run(sizes: tuple[str, ...] = ("1k", "10k", "50k")) -> dict[str, Figure]:
    figures: dict[str, Figure] = {}
    with tempfile.TemporaryDirectory(prefix="crmconf-bench-") as tmp:
        for size in sizes:
            root = workspace(Path(tmp), SIZES[size])
            figures[f"validate {size} fields"] = run_snippet(VALIDATE.format(root=str(root)))
            figures[f"plan {size} fields, empty local org"] = run_snippet(PLAN.format(root=str(root)))
            if size == "10k":
                run_snippet(APPLY.format(root=str(root)), repeat=1, env={"CRMCONF_TODAY": "2026-11-23"})
                figures[f"plan {size} fields, in-sync local org"] = run_snippet(PLAN.format(root=str(root)))
    return figures


if __name__ == "__main__":
    for name, fig in run(("10k",)).items():
        print(f"{name}: {fig.seconds:.2f} s, peak {fig.peak_mb:.0f} MB {fig.extra}")
