"""`crmconf import`: bring what a live CRM already has under crmconf.

Into the workspace itself (the default) or any other workspace, it *adopts*: live objects the spec
does not declare (or only those `--only` names) are added to the files where they belong, nothing
written before is changed, and the result must validate. Into an empty folder, it writes a new
workspace describing the live CRM. Either way a plan of what was imported shows no changes: the
provider exports spec sections, the inverse of its compile. Automations are imported as bound and
unowned: crmconf cannot know who owns them, and saying so is the start of the audit.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from crmconf import files, redact
from crmconf.commands import import_merge
from crmconf.council.imported import declared_teams
from crmconf.engine import managed, tracking
from crmconf.engine.state import store_for
from crmconf.errors import UsageError
from crmconf.providers import opened
from crmconf.spec.load import CONFIG_NAMES, YAML_SUFFIXES
from crmconf.spec.modeline import modeline, write_schemas
from crmconf.ui import Console
from crmconf.validation import require_valid, validate

SECTIONS = ("terminology", "fields", "pipelines", "automations", "permissions", "teams")


def run(
    root: Path,
    *,
    target: str | None,
    out: Path | None,
    only: tuple[str, ...] = (),
    today: Any,
    console: Console,
) -> int:
    ws = require_valid(root, today)
    dest = out if out is not None else root
    fresh = not any((dest / n).is_file() for n in CONFIG_NAMES)
    if fresh and dest.exists() and any(p.suffix in YAML_SUFFIXES for p in dest.rglob("*")):
        raise UsageError(
            f"{dest} holds YAML files but no crmconf.yaml; nothing was written. Import into an empty "
            "folder (a new workspace) or into a workspace (its files are merged, never overwritten)"
        )
    with opened(ws.spec, ws.sources, root, target) as (name, provider):
        export = getattr(provider, "export", None)
        if export is None:
            raise UsageError(f"provider {provider.name!r} cannot export its configuration")
        provider.compile(ws.spec, ws.sources)  # so the provider names live objects as this workspace does
        # An empty set of kinds reads everything the provider can: an import describes the whole CRM,
        # not only what this workspace's spec happens to manage.
        snapshot = provider.fetch(frozenset())
        sections = dict(export(snapshot))
        # What the provider read but could not write as spec, each with why (nothing is dropped silently).
        _report_skipped(sections.pop("skipped", None) or [], console)
        provider_name = provider.name
        found = import_merge.entries(sections, provider_name)
        if fresh:
            chosen = import_merge.select(found, only, set(), set())
            settings = ws.spec.config.targets[name]
            write_workspace(dest, name, settings.model_dump(exclude_none=True), _sections_of(chosen))
            code = _report_fresh(dest, name, chosen, today, console)
            if code == 0:
                _warn_left_out(dest, name, provider, root, today, console)
            return code
    declared = import_merge.declared_addresses(dest, provider_name)
    rules = tracking.rules_for(ws.spec, name) if dest.resolve() == root.resolve() else ()
    accepted = set(tracking.accepted(rules, [e.address for e in found], declared))
    chosen = import_merge.select(found, only, declared, accepted)
    if not chosen:
        console.err(
            f"nothing to import into {dest}: the spec already declares "
            + ("them" if only else "every live object it could")
        )
        return 0
    files, errors = import_merge.merge(dest, chosen, today)
    if errors:
        for d in errors:
            console.err(f"{d.location}: {d.code}: {d.message}" if d.location else f"{d.code}: {d.message}")
        console.err(
            "the workspace would not validate with these objects, so nothing was changed; "
            "import what they depend on too (for example the fields a pipeline's stages require)"
        )
        return 1
    console.err(
        f"imported {len(chosen)} object(s) from target {name} into {dest}: "
        + ", ".join(e.address for e in chosen[:10])
        + (" ..." if len(chosen) > 10 else "")
    )
    console.err("changed: " + ", ".join(files))
    console.err(
        f"next: review owners and purposes, then `crmconf plan -w {dest} -t {name}` (expect no changes; "
        "the next apply records them as managed)"
    )
    return 0


def _report_skipped(skipped: list[dict[str, Any]], console: Console) -> None:
    if skipped:
        console.err(f"not imported ({len(skipped)}), left in the CRM as they are:")
        for item in skipped:
            console.err(f"  - {item['what']}: {item['why']}")


def _warn_left_out(dest: Path, name: str, provider: Any, root: Path, today: Any, console: Console) -> None:
    """A second workspace on the same target shares its managed record: what crmconf manages there and
    the new workspace does not declare (a provider cannot export everything) would be planned deletes."""
    record = managed.read(store_for(provider, root, name), name)
    if not record.entries:
        return
    new = require_valid(dest, today)
    declared = {r.address for r in provider.compile(new.spec, new.sources).resources}
    left = sorted(a for a in record.entries if a not in declared)
    if left:
        shown = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
        console.err(
            f"warning: crmconf's managed record of target {name} lists {len(left)} object(s) the imported workspace "
            f"does not declare under the same address ({shown}). Both workspaces would share that record: a plan "
            "of this one deletes what it does not declare, and applying either changes what the other manages. "
            "Give this workspace its own target name (its own record), or keep using only one of them."
        )


def _sections_of(chosen: list[import_merge.Entry]) -> dict[str, Any]:
    sections: dict[str, Any] = {}
    for e in chosen:
        if e.section == "fields":
            sections.setdefault("fields", {}).setdefault(e.obj, []).append(dict(e.item))
        else:
            sections.setdefault(e.section, []).append(dict(e.item))
    sections["teams"] = declared_teams(sections)  # owning teams by name; their members are for people to add
    return sections


def _report_fresh(
    dest: Path, name: str, chosen: list[import_merge.Entry], today: Any, console: Console
) -> int:
    result, diagnostics, _ = validate(dest, today)
    counts: dict[str, int] = {}
    for e in chosen:
        counts[e.section] = counts.get(e.section, 0) + 1
    listed = ", ".join(f"{n} {k}" for k, n in counts.items())
    console.err(f"imported {listed or 'nothing'} from target {name} into {dest}")
    if result is None:
        for d in (d for d in diagnostics if d.is_error):
            console.err(f"{d.location}: {d.code}: {d.message}")
        console.err("the imported workspace does not validate: this is a provider bug, please report it")
        return 1
    console.err(
        f"next: review owners and purposes, then `crmconf plan -w {dest} -t {name}` (expect no changes)"
    )
    return 0


def write_workspace(out: Path, target: str, settings: dict[str, Any], sections: dict[str, Any]) -> None:
    files.make_dir(out)
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 110
    config = {
        "version": 1,
        "default_target": target,
        "targets": {target: settings},
        # imported automations have no owner yet: the audit lists them as unowned until one is named
        "policies": {"require_automation_owner": False},
    }
    write_schemas(out)
    _dump(yaml, out / "crmconf.yaml", config, modeline("config", out / "crmconf.yaml", out))
    for section in SECTIONS:
        if sections.get(section):
            _dump(yaml, out / f"{section}.yaml", {section: sections[section]}, modeline("spec", out / f"{section}.yaml", out))


def _dump(yaml: YAML, path: Path, data: dict[str, Any], header: str) -> None:
    text = io.StringIO()
    text.write(header)
    yaml.dump(redact.mask_data(data), text)
    files.write_text(path, text.getvalue(), root=path.parent)
