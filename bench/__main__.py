"""`make bench`: run every benchmark, print the figures and write them to BENCHMARKS.md.

stdout carries exactly the text written to BENCHMARKS.md (each table as soon as it is measured);
progress goes to stderr. `python -m bench --quick` (one run each, no 50k workspace, baselines at 0 ms
only) is for developing the benchmarks, not for publishing figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
RATIO_NOTES = [
    "Ratios compare figures of the same run, so they hold on a loaded machine where wall times do not.",
    "Critical path: the longest chain of requests that each need an earlier one's answer (a page needs the",
    "previous page's cursor, a component read needs the listing that names it), times the latency; the",
    "plan's waiting is its wall time at that latency minus its wall time at 0 ms (run just before, paired),",
    "so the plan's own work, which no latency changes, is not counted as waiting.",
]
SECTIONS = ("engine", "hubspot", "salesforce", "audit", "health")


def machine() -> str:
    cpu = platform.processor()
    memory = ""
    cpuinfo, meminfo = Path("/proc/cpuinfo"), Path("/proc/meminfo")
    if cpuinfo.exists():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                    if line.startswith("model name")), cpu)
    if meminfo.exists():
        kb = next((int(line.split()[1]) for line in meminfo.read_text().splitlines()
                   if line.startswith("MemTotal:")), 0)
        memory = f", {kb / 1_048_576:.1f} GB RAM" if kb else ""
    load = f", load average {os.getloadavg()[0]:.2f} at start" if hasattr(os, "getloadavg") else ""
    return (f"{platform.system()} {platform.release()} {platform.machine()}, {os.cpu_count()} cores ({cpu})"
            f"{memory}, Python {platform.python_version()}{load}")


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true",
                        help="one run each, 1k and 10k workspaces only, one-by-one baselines at 0 ms only")
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run only these sections (repeatable)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write the figures (default {OUT.name})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    if args.quick:
        os.environ["CRMCONF_BENCH_REPEAT"] = "1"  # read when bench.measure is first imported, just below
    from bench import audit_bench, engine_bench, health_bench, hubspot_bench, salesforce_bench
    from bench.measure import REPEAT
    from bench.report import Table

    latencies = (0.0,) if args.quick else (0.0, 0.05)
    sizes = ("1k", "10k") if args.quick else ("1k", "10k", "50k")
    runners: dict[str, Callable[[], Table]] = {
        "engine": lambda: engine_bench.run(sizes),
        "hubspot": lambda: hubspot_bench.run(baseline_latencies=latencies),
        "salesforce": lambda: salesforce_bench.run(baseline_latencies=latencies),
        "audit": audit_bench.run,
        "health": lambda: health_bench.run(quick=args.quick),
    }
    chosen = [s for s in SECTIONS if not args.only or s in args.only]
    started = time.perf_counter()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    chunks: list[str] = []

    def emit(text: str) -> None:
        chunks.append(text)
        print(text, flush=True)

    emit("\n".join([
        "# crmconf benchmarks",
        "",
        f"Produced by `make bench` on {stamp}" + (" (`--quick`: development figures, not for publishing)"
                                                  if args.quick else "") + ".",
        "",
        f"Machine: {machine()}.",
        "",
        "Reproduce with `make bench` (or `.venv/bin/python -m bench`; `--only engine|hubspot|salesforce|audit|health`",
        "runs one section). Nothing is asserted: every figure is measured on the machine above, wall times",
        f"are medians of {REPEAT} runs unless a row says otherwise, and the vendor figures come from the loopback",
        "emulators in `tests/emulators/`, driven through the real vendor client libraries, with the latency",
        "stated added to every request. Request counts are what the emulator received.",
        "",
    ]))
    goals_met = goals_total = 0
    ratios = Table("Ratios (each measured within one run of its section)", ["figure", "ratio", "goal", "met"],
                   notes=RATIO_NOTES)
    for section in chosen:
        table = runners[section]()
        goals = [row[-1] for row in table.rows if row[-1] in ("yes", "**no**")]
        goals_total += len(goals)
        goals_met += goals.count("yes")
        emit(table.markdown())
        ratios.rows += table.ratios
    if ratios.rows:
        goals_total += len(ratios.rows)
        goals_met += sum(row[-1] == "yes" for row in ratios.rows)
        emit(ratios.markdown())
    elapsed = time.perf_counter() - started
    emit(f"Goals met: {goals_met} of {goals_total}. `make bench` took {elapsed / 60:.1f} minutes "
         f"({', '.join(chosen)}).")
    args.out.write_text("\n".join(chunks) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
