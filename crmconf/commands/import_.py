"""`crmconf import --target T --out DIR`: write a workspace that describes the live CRM as it is.

The provider exports spec sections (the inverse of its compile), so a plan of the imported
workspace against the same CRM shows no changes. Automations are imported as bound and unowned:
crmconf cannot know who owns them, and saying so is the start of the audit.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from crmconf import files, redact
from crmconf.council.imported import declared_teams
from crmconf.errors import UsageError
from crmconf.providers import opened
from crmconf.spec.load import YAML_SUFFIXES
from crmconf.ui import Console
from crmconf.validation import require_valid, validate

SECTIONS = ("terminology", "fields", "pipelines", "automations", "permissions", "teams")
HEADER = "# yaml-language-server: $schema=https://crmconf.dev/schema/v1/{kind}.schema.json\n"


def run(root: Path, *, target: str | None, out: Path, force: bool, today: Any, console: Console) -> int:
    if out.exists() and any(p.suffix in YAML_SUFFIXES for p in out.rglob("*")) and not force:
        raise UsageError(f"{out} already holds YAML files; nothing was written (use --force to overwrite)")
    ws = require_valid(root, today)
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
    skipped = sections.pop("skipped", None) or []
    sections.setdefault("teams", declared_teams(sections))
    settings = ws.spec.config.targets[name]
    write_workspace(out, name, settings.model_dump(exclude_none=True), sections)
    result, diagnostics, _ = validate(out, today)
    errors = [d for d in diagnostics if d.is_error]
    counts = ", ".join(
        f"{len(v) if isinstance(v, list) else sum(map(len, v.values()))} {k}"
        for k, v in sections.items()
        if v
    )
    console.err(f"imported {counts or 'nothing'} from target {name} into {out}")
    if skipped:
        console.err(f"not imported ({len(skipped)}), left in the CRM as they are:")
        for item in skipped:
            console.err(f"  - {item['what']}: {item['why']}")
    if result is None:
        for d in errors:
            console.err(f"{d.location}: {d.code}: {d.message}")
        console.err("the imported workspace does not validate: this is a provider bug, please report it")
        return 1
    console.err(
        f"next: review owners and purposes, then `crmconf plan {out} --target {name}` (expect no changes)"
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
    _dump(yaml, out / "crmconf.yaml", config, HEADER.format(kind="config"))
    for section in SECTIONS:
        if sections.get(section):
            _dump(yaml, out / f"{section}.yaml", {section: sections[section]}, HEADER.format(kind="spec"))


def _dump(yaml: YAML, path: Path, data: dict[str, Any], header: str) -> None:
    text = io.StringIO()
    text.write(header)
    yaml.dump(redact.mask_data(data), text)
    files.write_text(path, text.getvalue(), root=path.parent)
