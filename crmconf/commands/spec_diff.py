"""`crmconf diff --base GITREV`: what a pull request changes in the spec, with no vendor access.

Both sides are compiled to crmconf's neutral vocabulary and compared with the same diff as plan,
the base playing the part of the live CRM; everything the head drops shows as a deletion. crmconf.yaml
is compared too (targets, default target, policies, `unmanaged:`), since a one-line change there (turning
on `prune`) can delete more than any spec file.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from crmconf import address as addr
from crmconf.commands.plan import show
from crmconf.engine.changes import Change, Plan
from crmconf.engine.diff import diff
from crmconf.engine.native import compile_spec
from crmconf.engine.resource import LiveObject, Resource, Snapshot
from crmconf.errors import UsageError
from crmconf.spec.diagnostics import Location
from crmconf.spec.model import KINDS, WorkspaceConfig
from crmconf.spec.workspace import Sources
from crmconf.ui import Console
from crmconf.validation import Validated, require_valid

CONFIG_KIND = "config"
# Settings whose values say where and how, never a secret; any other value is shown only as a digest.
_PLAIN_SETTINGS = re.compile(
    r".*_env$|.*_url$|^(path|manual|api_version|domain|timeout.*|retry.*|strict_decoding)$"
)


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, timeout=60)
    except FileNotFoundError as exc:
        raise UsageError("`crmconf diff` needs git on the PATH") from exc
    if done.returncode != 0:
        raise UsageError(f"git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def _base_resources(root: Path, rev: str, today: date) -> list[Resource]:
    top = Path(_git(["rev-parse", "--show-toplevel"], root).decode().strip())
    rel = root.resolve().relative_to(top.resolve()).as_posix()
    _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], root)
    listing = _git(["ls-tree", "-r", "--name-only", rev, "--", rel if rel != "." else "."], top)
    if not listing.strip():
        return []  # the workspace did not exist at the base: everything is new
    archive = _git(["archive", "--format=tar", rev, "--", rel if rel != "." else "."], top)
    with tempfile.TemporaryDirectory(prefix="crmconf-base-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        base_root = Path(tmp) / rel
        ws = require_valid(base_root, today)
        return [*compile_spec(ws.spec, ws.sources), *config_resources(ws)]


def _settings_view(settings: dict[str, object]) -> dict[str, object]:
    return {
        k: v
        if _PLAIN_SETTINGS.match(k)
        else "sha256:" + hashlib.sha256(json.dumps(v).encode()).hexdigest()[:8]
        for k, v in sorted(settings.items())
    }


def config_resources(ws: Validated) -> list[Resource]:
    """crmconf.yaml as resources, so the same diff shows what a change there means."""
    config: WorkspaceConfig = ws.spec.config
    at = _config_locator(ws.sources)
    found = [
        Resource(
            addr.join(CONFIG_KIND, "default_target"),
            CONFIG_KIND,
            {"value": config.default_target},
            source=at("default_target"),
        )
    ]
    for name, target in sorted(config.targets.items()):
        attrs = {
            "provider": target.provider,
            "description": target.description,
            "settings": _settings_view(dict(target.settings)),
        }
        found.append(
            Resource(
                addr.join(CONFIG_KIND, "target", name),
                CONFIG_KIND,
                attrs,
                source=at("targets", name),
                label=name,
            )
        )
    found.append(
        Resource(
            addr.join(CONFIG_KIND, "policies"),
            CONFIG_KIND,
            config.policies.model_dump(mode="json"),
            source=at("policies"),
        )
    )
    entries = [
        r.model_dump(mode="json", exclude_none=True, exclude_defaults=True) | {"address": r.address}
        for r in config.unmanaged
    ]
    if entries:
        unmanaged = addr.join(CONFIG_KIND, "unmanaged")
        found.append(Resource(unmanaged, CONFIG_KIND, {"entries": entries}, source=at("unmanaged")))
    return found


def _config_locator(sources: Sources) -> Callable[..., Location | None]:
    config = next((s for n, s in sources.files.items() if n in ("crmconf.yaml", "crmconf.yml")), None)

    def at(*path: str) -> Location | None:
        return config.locate(tuple(path)) if config else None

    return at


def _prune_impact(changes: tuple[Change, ...]) -> tuple[Change, ...]:
    """Turning on `prune` for a kind deletes, at the next apply, every live object of it no spec declares."""
    out = []
    for c in changes:
        if c.address == addr.join(CONFIG_KIND, "policies") and c.after is not None:
            before = set((c.before or {}).get("prune") or ())
            gained = sorted(set(c.after.get("prune") or ()) - before)
            if gained:
                c = replace(
                    c,
                    destructive=True,
                    impact=f"prune turns on for {', '.join(gained)}: the next apply deletes every live object "
                    "of these kinds that no spec declares",
                )
        out.append(c)
    return tuple(out)


def as_snapshot(resources: list[Resource]) -> Snapshot:
    objects = {
        r.address: LiveObject(r.address, r.kind, r.attrs, parent=r.parent, label=r.label) for r in resources
    }
    return Snapshot(objects, frozenset((*KINDS, CONFIG_KIND)))


def run(root: Path, *, base: str, fmt: str, detailed: bool, today: date, console: Console) -> int:
    head = require_valid(root, today)
    head_resources = [*compile_spec(head.spec, head.sources), *config_resources(head)]
    kinds = frozenset((*KINDS, CONFIG_KIND))
    result = diff(head_resources, as_snapshot(_base_resources(root, base, today)), prune=kinds)
    plan = Plan(
        target=f"spec@{base}",
        provider="spec",
        changes=_prune_impact(result.changes),
        diagnostics=head.diagnostics,
        spec_digest=head.digest,
    )
    show(plan, fmt, console)
    return 2 if detailed and plan.has_changes else 0
