"""Adopting live objects into an existing workspace: each one goes into the file where it belongs.

Nothing already written is changed: new entries are spliced in after the existing ones
(crmconf.spec.append), an object the spec already declares is never overwritten, and the merged
workspace must still validate, or every file is put back as it was.

Where an entry goes: fields of an object join the file that already lists that object's fields; a
section kept one item per file in a folder (`pipelines/new-business.yaml`) gets a new file there;
a section kept in one file gets the entry appended; otherwise a new `<section>.yaml` is created.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from crmconf import address as addr
from crmconf import files
from crmconf.commands.review import _write_atomically
from crmconf.engine.native import term_key
from crmconf.errors import UsageError
from crmconf.spec.append import append
from crmconf.spec.diagnostics import Diagnostic
from crmconf.spec.edit import EditError
from crmconf.spec.modeline import modeline
from crmconf.spec.workspace import Sources, load_workspace
from crmconf.validation import validate

LIST_SECTIONS = ("terminology", "pipelines", "automations", "permissions")


@dataclass(frozen=True)
class Entry:
    section: str
    item: Mapping[str, Any]
    address: str
    obj: str = ""  # fields only: the object it belongs to


def entries(sections: Mapping[str, Any], provider: str) -> list[Entry]:
    """Every exported item with the address the plan knows it by."""
    found: list[Entry] = []
    for item in sections.get("terminology") or ():
        found.append(Entry("terminology", item, addr.term(term_key(item["term"]))))
    for obj, items in (sections.get("fields") or {}).items():
        found.extend(Entry("fields", _tidy(i), addr.field(obj, i["name"]), obj) for i in items)
    for item in sections.get("pipelines") or ():
        found.append(Entry("pipelines", item, addr.pipeline(item["name"])))
    for item in sections.get("automations") or ():
        bound = (item.get("binds") or {}).get(provider)
        found.append(Entry("automations", item, addr.automation(bound or item["name"])))
    for item in sections.get("permissions") or ():
        found.append(Entry("permissions", item, addr.permission(item["name"])))
    return found


def _tidy(field: Mapping[str, Any]) -> Mapping[str, Any]:
    """Options that are only a value are written as the value, as people write them."""
    options = field.get("options")
    if not options:
        return field
    short = [o["value"] if isinstance(o, Mapping) and set(o) == {"value"} else o for o in options]
    return {**field, "options": short}


def select(found: list[Entry], only: tuple[str, ...], declared: set[str], accepted: set[str]) -> list[Entry]:
    """What to add: the --only addresses (or every live object), minus what the spec declares."""
    if not only:
        return [e for e in found if e.address not in declared and e.address not in accepted]
    for wanted in only:
        if addr.stage_of(wanted):
            raise UsageError(
                f"--only {wanted}: stages come with their pipeline; import {addr.pipeline(addr.pipeline_of(wanted) or '')}"
            )
        if not any(addr.matches(e.address, wanted) for e in found):
            raise UsageError(f"--only {wanted}: no such object in the live CRM that this provider can import")
    return [e for e in found if any(addr.matches(e.address, w) for w in only) and e.address not in declared]


def declared_addresses(root: Path, provider: str) -> set[str]:
    """The addresses the workspace's spec already declares (whatever the provider compiles them to)."""
    ws = load_workspace(root)
    if ws.spec is None:
        return set()
    spec = ws.spec.model_dump(mode="json")
    return {e.address for e in entries(spec, provider)}


def merge(root: Path, adding: list[Entry], today: date) -> tuple[list[str], list[Diagnostic]]:
    """Write the entries into the workspace; (files touched, errors). On errors nothing is changed."""
    ws = load_workspace(root)
    planned: dict[str, list[tuple[tuple[str, ...], Mapping[str, Any]]]] = {}
    for e in adding:
        file, path = _place(ws.sources, e, planned)
        planned.setdefault(file, []).append((path, e.item))
    originals: dict[Path, bytes | None] = {}
    try:
        for file, additions in planned.items():
            target = root / file
            originals[target] = target.read_bytes() if target.exists() else None
            text = originals[target].decode("utf-8") if originals[target] is not None else modeline("spec", target, root)  # type: ignore[union-attr]
            for path, items in _grouped(additions):
                text = append(text, path, items)
            if originals[target] is None:
                files.make_dir(target.parent, root=root)
                files.write_text(target, text, root=root)
            else:
                _write_atomically(files.guard(target, root), text.encode("utf-8"))
    except (EditError, OSError, UnicodeDecodeError) as exc:
        _restore(originals)
        raise UsageError(f"cannot add the imported objects to {root}: {exc}; nothing was changed") from exc
    result, diagnostics, _ = validate(root, today)
    errors = [d for d in diagnostics if d.is_error]
    if result is None:
        _restore(originals)
        return [], errors
    return sorted(planned), []


def _grouped(
    additions: list[tuple[tuple[str, ...], Mapping[str, Any]]],
) -> Iterable[tuple[tuple[str, ...], list[Any]]]:
    order: dict[tuple[str, ...], list[Any]] = {}
    for path, item in additions:
        order.setdefault(path, []).append(item)
    return order.items()


def _restore(originals: Mapping[Path, bytes | None]) -> None:
    for path, data in originals.items():
        if data is None:
            path.unlink(missing_ok=True)
        else:
            _write_atomically(path, data)


def _holding(sources: Sources, *path: str) -> list[str]:
    found = []
    for name, source in sorted(sources.files.items()):
        node: Any = source.data
        for step in path:
            node = node.get(step) if isinstance(node, dict) else None
        if node is not None:
            found.append(name)
    return found


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"


def _place(sources: Sources, e: Entry, planned: Mapping[str, list[Any]]) -> tuple[str, tuple[str, ...]]:
    if e.section == "fields":
        same_object = _holding(sources, "fields", e.obj) or [
            f for f, adds in planned.items() if any(p == ("fields", e.obj) for p, _ in adds)
        ]
        if same_object:
            return same_object[0], ("fields", e.obj)
        files = _holding(sources, "fields")
        folder = _one_per_file_folder(sources, files, "fields")
        if folder is not None:
            return (PurePosixPath(folder) / f"{_slug(e.obj)}.yaml").as_posix(), ("fields", e.obj)
        return (files[0] if files else "fields.yaml"), ("fields", e.obj)
    files = _holding(sources, e.section)
    folder = _one_per_file_folder(sources, files, e.section)
    if folder is not None:
        name = str(e.item.get("name") or e.item.get("term") or "item")
        return (PurePosixPath(folder) / f"{_slug(name)}.yaml").as_posix(), (e.section,)
    return (files[0] if files else f"{e.section}.yaml"), (e.section,)


def _one_per_file_folder(sources: Sources, files: list[str], section: str) -> str | None:
    """The folder of a section kept one item (or one object) per file, e.g. `pipelines/`."""
    if len(files) < 2:
        return None
    folders = {PurePosixPath(f).parent.as_posix() for f in files}
    if len(folders) != 1 or folders == {"."}:
        return None
    for f in files:
        held = sources.files[f].data.get(section)
        if not isinstance(held, list | dict) or len(held) != 1:
            return None
    return folders.pop()
