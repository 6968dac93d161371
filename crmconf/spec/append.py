"""Add entries to a workspace file without touching a byte of what is already written.

A ruamel round-trip dump re-indents and re-flows hand-written files (see crmconf.spec.edit), so new
entries are not dumped with the file: the file is composed with ruamel's round-trip composer, which
keeps every node's position, and the new entry's YAML is spliced in after the last entry of its list
(or a new key at the end of its mapping). The result is parsed again and must equal the old data plus
exactly the new entries, so an append can never change anything else.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from crmconf.spec.edit import BOM, EditError, _compose, _entry
from crmconf.spec.load import LoadError, Path_, parse_text


def render_item(item: Any, dash_column: int, *, flow: bool = False) -> str:
    """One list entry whose dash sits at `dash_column`, ending with a line break: block YAML, or one
    flow mapping (`- {name: x, ...}`) when the list's entries are written that way."""
    yaml = YAML()
    buffer = io.StringIO()
    if flow and isinstance(item, Mapping):
        yaml.default_flow_style = True
        yaml.width = 4096  # a flow entry stays on one line, as hand-written ones do
        yaml.dump(_plain(item), buffer)
        return " " * dash_column + "- " + buffer.getvalue().strip() + "\n"
    yaml.default_flow_style = False
    yaml.width = 110
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.dump([_plain(item)], buffer)
    lines = buffer.getvalue().splitlines()
    strip = min(len(ln) - len(ln.lstrip(" ")) for ln in lines if ln.strip())
    return "".join(" " * dash_column + ln[strip:] + "\n" if ln.strip() else "\n" for ln in lines)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def append(text: str, path: Path_, items: list[Any]) -> str:
    """`text` with `items` added to the list at `path`; missing mappings and the list are created.

    `path` names mapping keys from the top (`("fields", "deal")`, `("pipelines",)`)."""
    if not items:
        return text
    body = text.removeprefix(BOM)
    head = text[: len(text) - len(body)]
    eol = "\r\n" if "\r\n" in body else "\n"
    new = _append(body.replace("\r\n", "\n"), tuple(path), items)
    result = head + (new.replace("\n", eol) if eol != "\n" else new)
    _verify(text, result, tuple(path), items)
    return result


def _append(body: str, path: tuple[str | int, ...], items: list[Any]) -> str:
    root = None if _blank(body) else _compose(body)
    if root is None or not isinstance(root, MappingNode):
        if not _blank(body):
            raise EditError("the file's top level is not a mapping")
        return _with_new_keys(body, 0, path, items)
    node: Node = root
    for depth, step in enumerate(path):
        if not isinstance(node, MappingNode) or node.flow_style:
            raise EditError(
                f"{'.'.join(map(str, path[:depth]))} is not a block mapping; add the entries by hand"
            )
        hit = _entry(node, str(step))
        if hit is None:
            column = node.value[0][0].start_mark.column if node.value else 0
            gap = "\n" if depth == 0 and body.strip() else ""  # a new top-level key gets a blank line
            return _insert_at(body, _end_of(body, node), gap + _new_keys(column, path[depth:], items))
        key, value = hit
        empty = (isinstance(value, SequenceNode) and value.flow_style and not value.value) or (
            isinstance(value, ScalarNode) and str(value.tag).endswith(":null")
        )
        if empty and depth == len(path) - 1:  # `unmanaged: []` or `unmanaged:`: the list starts here
            return _fill_empty(body, key, value, items)
        node = value
    if not isinstance(node, SequenceNode) or node.flow_style or not node.value:
        raise EditError(f"{'.'.join(map(str, path))} is not a block list; add the entries by hand")
    last = node.value[-1]
    line = body.splitlines()[last.start_mark.line]
    dash = line.rfind("-", 0, last.start_mark.column)
    spaced = _blank_between(body, node)
    flow = isinstance(last, MappingNode) and bool(last.flow_style)
    chunk = "".join(("\n" if spaced else "") + render_item(i, dash, flow=flow) for i in items)
    return _insert_at(body, _end_of(body, last), chunk)


def _blank(text: str) -> bool:
    """Nothing but blank lines and comments (a new file's header)."""
    return all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines())


def _fill_empty(body: str, key: Node, value: Node, items: list[Any]) -> str:
    """Turn `key: []` (or `key:`) into `key:` followed by the entries, keeping a trailing comment."""
    if value.start_mark.line != key.start_mark.line and not (
        isinstance(value, ScalarNode) and not value.value
    ):
        raise EditError("the empty list is not on its key's line; add the entries by hand")
    line_start = body.rfind("\n", 0, key.start_mark.index) + 1
    newline = body.find("\n", key.end_mark.index)
    line_end = len(body) if newline < 0 else newline
    colon = body.index(":", key.end_mark.index, line_end + 1)
    rest = body[colon + 1 : line_end].strip()
    value_text, _, comment = rest.partition("#")
    if value_text.strip() not in ("", "[]", "~", "null"):
        raise EditError("the list shares its line with other text; add the entries by hand")
    head = body[line_start : colon + 1] + (f"  #{comment}" if comment else "")
    chunk = "".join(render_item(i, key.start_mark.column + 2) for i in items)
    return body[:line_start] + head + "\n" + chunk + body[line_end + 1 :]


def _blank_between(body: str, seq: SequenceNode) -> bool:
    """Whether the list's entries are separated by blank lines (then the new ones are too)."""
    if len(seq.value) < 2:
        return False
    lines = body.splitlines()
    first, second = seq.value[0], seq.value[1]
    return any(not ln.strip() for ln in lines[first.start_mark.line : second.start_mark.line])


def _end_of(body: str, node: Node) -> int:
    """The index just after the last line holding part of `node` (comments after it stay after)."""
    end = node.end_mark.index
    if end > 0 and body[end - 1] == "\n":
        end -= 1
    # A block node's end mark can sit past the blank lines and comments that follow it: walk back.
    while end > node.start_mark.index and body[end - 1] in " \n":
        end -= 1
    newline = body.find("\n", end)
    return len(body) if newline < 0 else newline + 1


def _insert_at(body: str, at: int, chunk: str) -> str:
    prefix = body[:at]
    if prefix and not prefix.endswith("\n"):
        prefix += "\n"
    return prefix + chunk + body[at:]


def _new_keys(column: int, path: tuple[str | int, ...], items: list[Any]) -> str:
    out = []
    for depth, step in enumerate(path):
        out.append(" " * (column + 2 * depth) + f"{step}:\n")
    dash = column + 2 * len(path)
    return "".join(out) + "".join(render_item(i, dash) for i in items)


def _with_new_keys(body: str, column: int, path: tuple[str | int, ...], items: list[Any]) -> str:
    return _insert_at(body, len(body), _new_keys(column, path, items))


def _verify(old: str, new: str, path: tuple[str | int, ...], items: list[Any]) -> None:
    try:
        before = {} if _blank(old.removeprefix(BOM)) else parse_text(old, "before").data
        after = parse_text(new, "after").data
    except LoadError as exc:
        raise EditError(f"adding the entries would break the file ({exc.diagnostic.message})") from exc
    expected = before if isinstance(before, dict) else {}
    cursor: Any = expected
    for step in path[:-1]:
        cursor = cursor.setdefault(step, {})
    cursor[path[-1]] = [*(cursor.get(path[-1]) or []), *(_plain(i) for i in items)]
    if after != expected:
        raise EditError("adding the entries would change other values too; the file was left untouched")


def replace_item(text: str, path: Path_, index: int, item: Any) -> str:
    """`text` with entry `index` of the list at `path` replaced by `item`; nothing else changes."""
    body = text.removeprefix(BOM)
    head = text[: len(text) - len(body)]
    root = _compose(body)
    node: Node = root
    for step in path:
        hit = _entry(node, str(step)) if isinstance(node, MappingNode) else None
        if hit is None:
            raise EditError(f"cannot find {'.'.join(map(str, path))} in the file")
        node = hit[1]
    if not isinstance(node, SequenceNode) or node.flow_style or index >= len(node.value):
        raise EditError(f"{'.'.join(map(str, path))} is not a block list with an entry {index}")
    old = node.value[index]
    lines = body.splitlines(keepends=True)
    start = sum(len(ln) for ln in lines[: old.start_mark.line])
    dash = lines[old.start_mark.line].rfind("-", 0, old.start_mark.column)
    result = head + body[:start] + render_item(item, dash) + body[_end_of(body, old) :]
    before = parse_text(text, "before").data
    after = parse_text(result, "after").data
    cursor: Any = before
    for step in path:
        cursor = cursor[step]
    cursor[index] = _plain(item)
    if after != before:
        raise EditError("replacing the entry would change other values too; the file was left untouched")
    return result
