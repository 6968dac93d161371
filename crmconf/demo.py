"""`make demo`: a newcomer's first five minutes on the embedded local provider, with no account.

Seeds specs/.crmconf/local-org.json from demo/seed-org.json (an org that drifted from the spec),
then runs validate, plan, a refused destructive apply, the apply, a clean plan and the audit.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from crmconf.cli import run

ROOT = Path(__file__).resolve().parent.parent
STEPS: list[tuple[str, list[str], set[int]]] = [
    ("Validate the workspace", ["validate", "specs"], {0}),
    ("Plan: what differs between the spec and the (drifted) org", ["plan", "specs"], {0}),
    (
        "Apply without --allow-destroy: refused, nothing changes",
        ["apply", "--dir", "specs", "--auto-approve"],
        {1},
    ),
    (
        "Apply, allowing the stage removal (its deals move per migrate_to)",
        ["apply", "--dir", "specs", "--auto-approve", "--allow-destroy"],
        {0},
    ),
    ("Plan again: nothing left to do", ["plan", "specs", "--detailed-exitcode"], {0}),
    ("The quarterly automation audit against the org", ["audit", "specs"], {0, 3}),
]


def main(root: Path = ROOT) -> int:
    os.chdir(root)
    state = root / "specs" / ".crmconf"
    state.mkdir(exist_ok=True)
    shutil.copyfile(root / "demo" / "seed-org.json", state / "local-org.json")
    (state / "journal.jsonl").unlink(missing_ok=True)
    print(f"Seeded the local org {state / 'local-org.json'} from demo/seed-org.json\n", flush=True)
    for title, args, expected in STEPS:
        print(f"\n=== {title}\n$ crmconf {' '.join(args)}", flush=True)
        code = run(args)
        sys.stdout.flush()
        sys.stderr.flush()
        if code not in expected:
            print(
                f"\ndemo: `crmconf {' '.join(args)}` exited {code}, expected {sorted(expected)}",
                file=sys.stderr,
            )
            return 1
    print("\nDone. The journal of what was applied is in specs/.crmconf/journal.jsonl.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
