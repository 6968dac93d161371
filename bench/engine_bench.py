"""validate and plan (validate + compile + fetch + diff) on large workspaces, local provider."""

from __future__ import annotations

import shutil
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.measure import REPEAT, Figure, progress, run_snippet
from bench.report import Table, megabytes, met, seconds
from bench.workspace_gen import generate

VALIDATE = """
import json, time
from datetime import date
from pathlib import Path
t = time.perf_counter()
from crmconf.validation import validate
result, diags, _ = validate(Path({root!r}), date(2026, 11, 23))
assert result is not None, [str(d) for d in diags if d.is_error][:3]
print(json.dumps({{"seconds": time.perf_counter() - t, "peak_kb": peak_kb()}}))
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
                   "resources": len(compiled.resources), "live": len(snapshot.objects), "peak_kb": peak_kb()}}))
"""

APPLY = """
import json, shutil, time
from pathlib import Path
shutil.rmtree(Path({root!r}) / ".crmconf", ignore_errors=True)  # an empty local org, and no journal
t = time.perf_counter()
from crmconf.cli import run
code = run(["apply", "-w", {root!r}, "--auto-approve"])
assert code == 0
print(json.dumps({{"seconds": time.perf_counter() - t, "peak_kb": peak_kb()}}))
"""

# Setup for the in-sync plan, not measured: the plan applied in memory and written once, so the in-sync
# figure does not depend on the apply rows.
SYNC = """
import json
from datetime import date
from pathlib import Path
from crmconf.validation import require_valid
from crmconf.providers import opened
from crmconf.engine.plan import make_plan
ws = require_valid(Path({root!r}), date(2026, 11, 23))
with opened(ws.spec, ws.sources, ws.root, None) as (name, provider):
    plan, _, _ = make_plan(ws, name, provider)
    with provider.session():
        errors = [e for e in provider.apply_batch(list(plan.changes)) if e is not None]
assert not errors, errors[:3]
print(json.dumps({{"seconds": 0.0}}))
"""

SIZES = {"1k": 1_000, "10k": 10_000, "50k": 50_000}
LINEAR_GOAL = 5.5  # 50k over 10k: linear is 5
PEAK_GOAL_MB = 400.0
APPLY_GOAL = 3.0  # the local apply of a workspace over its plan
GOALS: dict[str, tuple[float, float | None]] = {  # benchmark -> (seconds, megabytes) it must stay under
    "validate 10k": (2.0, 400.0),
    "plan 10k, empty org": (3.0, None),
    "plan 10k, in-sync org": (3.0, None),
}


def workspace(tmp: Path, fields: int) -> Path:
    scale = fields / 10_000
    return generate(
        tmp / f"ws-{fields}",
        fields=fields,
        pipelines=max(1, int(200 * scale)),
        automations=max(1, int(1000 * scale)),
        permissions=max(1, int(50 * scale)),
    )


def _goal(name: str, fig: Figure) -> tuple[str, str]:
    if name not in GOALS:
        return "", ""
    limit_s, limit_mb = GOALS[name]
    text = f"< {limit_s:g} s" + (f", < {limit_mb:g} MB" if limit_mb else "")
    ok = fig.seconds < limit_s and (limit_mb is None or fig.peak_mb < limit_mb)
    return text, met(ok)


@dataclass(frozen=True)
class Bench:
    name: str
    fields: int
    snippet: str
    env: dict[str, str] | None = None


def _benches(tmp: Path, sizes: tuple[str, ...]) -> list[Bench]:
    """Every benchmark, each on its own copy of the workspace: the plans on an org never applied, the apply
    on an org it empties first, the in-sync plan on an org the plan was applied to (setup, not measured)."""
    benches: list[Bench] = []
    for size in sizes:
        fields = SIZES[size]
        root = workspace(tmp, fields)
        benches += [Bench(f"validate {size}", fields, VALIDATE.format(root=str(root))),
                    Bench(f"plan {size}, empty org", fields, PLAN.format(root=str(root)))]
        if size in ("1k", "10k"):
            applied = tmp / f"apply-{size}"
            shutil.copytree(root, applied)
            benches.append(Bench(f"apply {size}, empty org", fields, APPLY.format(root=str(applied)),
                                 {"CRMCONF_TODAY": "2026-11-23"}))
        if size == "10k":
            synced = tmp / f"sync-{size}"
            shutil.copytree(root, synced)
            progress("engine: in-sync local org for 10k (setup, not measured)")
            run_snippet(SYNC.format(root=str(synced)), repeat=1)
            benches.append(Bench(f"plan {size}, in-sync org", fields, PLAN.format(root=str(synced))))
    return benches


def run(sizes: tuple[str, ...] = ("1k", "10k", "50k")) -> Table:
    runs: dict[str, list[Figure]] = {}
    with tempfile.TemporaryDirectory(prefix="crmconf-bench-") as tmp:
        benches = _benches(Path(tmp), sizes)
        for round_ in range(REPEAT):  # every benchmark once a round: a ratio compares runs of one round
            for bench in benches:
                progress(f"engine: {bench.name} (round {round_ + 1} of {REPEAT})")
                runs.setdefault(bench.name, []).append(run_snippet(bench.snippet, repeat=1, env=bench.env))
    fields = {b.name: b.fields for b in benches}
    table = Table(
        "Engine scaling (local provider)",
        ["benchmark", f"wall time (median of {REPEAT})", "per 1,000 fields", f"peak RSS (median of {REPEAT})",
         "detail", "goal", "met"],
    )
    for name, figures in runs.items():
        fig = Figure(statistics.median(f.seconds for f in figures), statistics.median(f.peak_mb for f in figures),
                     figures[-1].extra, len(figures), statistics.median(f.cpu_s for f in figures))
        detail = ", ".join(f"{k} {v:,}" for k, v in fig.extra.items())
        table.add(name, seconds(fig.seconds), f"{1000 * fig.seconds / fields[name]:.3f} s", megabytes(fig.peak_mb),
                  detail, *_goal(name, fig))
    _ratios(table, runs)
    table.notes = [
        "Each run is a fresh `python -c` process: wall time covers imports, loading the YAML, validation and",
        "(for plan) compile, fetch and diff; peak RSS is the process's resident high-water mark (VmHWM). The",
        "workspaces (`bench/workspace_gen.py`) scale together: per 10,000 fields, 200 pipelines of 6 stages,",
        "1,000 automations and 50 permission sets. `apply` is the whole `crmconf apply --auto-approve` command",
        "(plan, apply with its journal, verify, the managed record) on an empty local org, which commits each",
        "engine batch (up to 500 changes of a kind, in dependency waves) as one line of its log and folds the log",
        "into its JSON file once at the end; not measured at 50k. The in-sync plan runs on a copy the 10k plan",
        "was applied to in memory and written once (setup, not measured). Benchmarks run in rounds, each once a",
        "round, so the ratios below compare runs made minutes apart at most (the median of the rounds' ratios);",
        "each wall-time ratio is followed by the same ratio of the processes' CPU time, which other processes",
        "on the machine do not stretch.",
    ]
    return table


def _ratios(table: Table, runs: dict[str, list[Figure]]) -> None:
    """The acceptance ratios, each the median over rounds of the ratio within a round."""

    def paired(top: str, bottom: str, cpu: bool = False) -> float | None:
        if top not in runs or bottom not in runs:
            return None
        return statistics.median((a.cpu_s / b.cpu_s) if cpu else (a.seconds / b.seconds)
                                 for a, b in zip(runs[top], runs[bottom], strict=True))

    for what in ("validate", "plan"):
        suffix = "" if what == "validate" else ", empty org"
        ratio = paired(f"{what} 50k{suffix}", f"{what} 10k{suffix}")
        if ratio is not None:
            cpu = paired(f"{what} 50k{suffix}", f"{what} 10k{suffix}", cpu=True)
            table.ratio(f"{what} 50k ÷ {what} 10k (5x the fields)", f"{ratio:.2f} (CPU time: {cpu:.2f})",
                        f"≤ {LINEAR_GOAL:g}", ratio <= LINEAR_GOAL)
    if "plan 50k, empty org" in runs:
        peak = statistics.median(f.peak_mb for f in runs["plan 50k, empty org"])
        table.ratio("plan 50k, peak RSS", megabytes(peak), f"≤ {PEAK_GOAL_MB:g} MB", peak <= PEAK_GOAL_MB)
    ratio = paired("apply 10k, empty org", "plan 10k, empty org")
    if ratio is not None:
        cpu = paired("apply 10k, empty org", "plan 10k, empty org", cpu=True)
        table.ratio("local apply 10k ÷ plan 10k (same workspace)", f"{ratio:.2f} (CPU time: {cpu:.2f})",
                    f"≤ {APPLY_GOAL:g}", ratio <= APPLY_GOAL)


if __name__ == "__main__":
    print(run(("1k", "10k")).markdown())
