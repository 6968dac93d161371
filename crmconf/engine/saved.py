"""Saved plans that cannot be tampered into harm.

A plan file is a ticket, not a program: `apply PLANFILE` never executes what the file says. It checks,
in this order, and refuses at the first failure:

1. the file is a JSON object of this plan format, written by this crmconf version;
2. its integrity digest (SHA-256 over everything else in the file) matches: an edited file is refused;
3. it was made in this workspace (`workspace`, the root's real path), for this target and provider;
4. the specs and every live object it read are unchanged (the spec digest and fingerprints);
5. its changes are exactly the changes crmconf computes now from the specs and the live CRM.

Then crmconf applies the changes it computed itself, and decides what is destructive from the changes
and the live usage counts (crmconf.engine.safety), never from the file's flags. The digest is not a
signature (anyone who can write the file can recompute it); it turns a careless edit into a clear
message, while 4 and 5 hold against a deliberate one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from crmconf import __version__
from crmconf.engine.changes import Change, Plan
from crmconf.errors import UntrustedPlanError, UsageError

INTEGRITY = "integrity"
WORKSPACE = "workspace"
MAX_BYTES = 256 * 1024 * 1024


def digest(data: Mapping[str, Any]) -> str:
    body = {k: v for k, v in data.items() if k != INTEGRITY}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def seal(data: Mapping[str, Any], root: Path | None) -> dict[str, Any]:
    sealed = dict(data)
    if root is not None:
        sealed[WORKSPACE] = str(root.resolve())
    sealed[INTEGRITY] = digest(sealed)
    return sealed


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def read(path: Path) -> dict[str, Any]:
    """The file's data, parsed strictly (no NaN, bounded size and depth)."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise UsageError(f"{path} is {size:,} bytes; a plan file is at most {MAX_BYTES:,}")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise UsageError(f"cannot read the plan file {path}: {reason}") from exc
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise UsageError(f"{path} is not a crmconf plan file (nested too deeply)") from exc
    except ValueError as exc:
        raise UsageError(f"{path} is not a crmconf plan file ({exc})") from exc
    if not isinstance(data, dict):
        raise UsageError(f"{path} is not a crmconf plan file (not a JSON object)")
    return data


def check_origin(data: Mapping[str, Any], path: Path, plan_format: int) -> None:
    """Steps 1 and 2: this format, this version, not edited since it was saved."""
    if data.get("format_version") != plan_format:
        raise UntrustedPlanError(
            f"{path} is a plan of format {data.get('format_version')!r}; this crmconf reads {plan_format}"
        )
    if data.get("tool_version") != __version__:
        raise UntrustedPlanError(
            f"{path} was made by crmconf {data.get('tool_version')!r}, this is {__version__}: "
            "run `crmconf plan --out` again with this version"
        )
    seal_ = data.get(INTEGRITY)
    if not isinstance(seal_, str):
        raise UntrustedPlanError(f"{path} has no integrity digest: save plans with `crmconf plan --out`")
    try:
        expected = digest(data)
    except ValueError as exc:
        raise UntrustedPlanError(f"{path} holds a value no plan can hold ({exc})") from exc
    if seal_ != expected:
        raise UntrustedPlanError(
            f"{path} was edited after crmconf saved it (its integrity digest does not match); "
            "make a new plan with `crmconf plan --out`"
        )


def check_workspace(data: Mapping[str, Any], path: Path, root: Path) -> None:
    """Step 3, the workspace half (the target half is engine.plan.assert_fresh)."""
    made_in = data.get(WORKSPACE)
    here = str(root.resolve())
    if made_in != here:
        raise UntrustedPlanError(f"{path} was made in the workspace {made_in!r}, not in {here}")


def check_changes(saved: Plan, fresh: Plan, to_dict: Any) -> None:
    """Step 5: the file's changes are exactly what crmconf computes now, one for one."""
    def canon(c: Change) -> str:
        return json.dumps(to_dict(c), sort_keys=True, default=str)

    mine = [canon(c) for c in fresh.changes]
    theirs = [canon(c) for c in saved.changes]
    if mine == theirs:
        return
    differ = sorted({c.address for c in saved.changes} ^ {c.address for c in fresh.changes})
    if not differ:
        differ = [s.address for s, m, f in zip(saved.changes, theirs, mine, strict=False) if m != f]
    shown = ", ".join(differ[:5]) + (f" and {len(differ) - 5} more" if len(differ) > 5 else "")
    raise UntrustedPlanError(
        "the plan file's changes are not the changes the specs and the live CRM give now "
        f"({shown or 'their order differs'}); it was edited: make a new plan with `crmconf plan --out`"
    )
