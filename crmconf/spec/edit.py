"""Edit one scalar of a workspace file in place, leaving every other byte exactly as the user wrote it.

A ruamel round-trip dump normalises indentation, flow-mapping spacing and line breaks, so it is not
byte-stable on hand-written files. Instead the file is composed with ruamel (every node keeps its
start/end character index), the exact span of the value is computed, and the new text is spliced in.
The result is re-parsed and compared with the old data, so an edit can never change anything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from crmconf.errors import CrmconfError
from crmconf.spec.load import LoadError, Path_, parse_text

BOM = "\ufeff"
_NULLS = ("", "~", "null", "Null", "NULL")
_ALIAS = re.compile(r"[ \t]*:[ \t]*(\*[^\s,\]}#]+)")


class EditError(CrmconfError):
    """The file cannot be edited safely; it is left untouched."""

    code = "E010"


@dataclass(frozen=True)
class Edit:
    """The outcome of an edit: the new text, and where the value now sits (1-based, for messages)."""

    text: str
    line: int
    inserted: bool  # the key did not exist and was added


def set_date(text: str, path: Path_, key: str, value: date, *, after: tuple[str, ...] = ()) -> Edit:
    """Set `key` of the mapping at `path` to `value`.

    When the key is missing, a `key: value` entry is added after the first key of `after` that the
    mapping has (in block style, on its own line with the same indentation; in flow style, inline).
    """
    body = text.removeprefix(BOM)
    offset = len(text) - len(body)
    root = _compose(body)
    mapping = _walk(root, path)
    literal = value.isoformat()
    found = _entry(mapping, key)
    if found is not None:
        new_body, at = _replace(body, root, found, literal, key)
        inserted = False
    else:
        new_body, at = _insert(body, mapping, key, literal, after)
        inserted = True
    new_text = text[:offset] + new_body
    _verify(text, new_text, path, key, value)
    return Edit(new_text, new_body.count("\n", 0, at) + 1, inserted)


# --- finding the node ----------------------------------------------------------------------------


def _compose(text: str) -> Node:
    try:
        node = YAML(typ="rt").compose(text)
    except YAMLError as exc:
        raise EditError(f"the file is not valid YAML: {exc}") from exc
    if node is None:
        raise EditError("the file is empty")
    return node  # type: ignore[no-any-return]


def _walk(node: Node, path: Path_) -> MappingNode:
    for step in path:
        if isinstance(step, int) and isinstance(node, SequenceNode) and step < len(node.value):
            node = node.value[step]
        elif (
            isinstance(step, str)
            and isinstance(node, MappingNode)
            and (hit := _entry(node, step)) is not None
        ):
            node = hit[1]
        else:
            raise EditError(f"cannot find {'.'.join(map(str, path))} in the file")
    if not isinstance(node, MappingNode):
        raise EditError(f"{'.'.join(map(str, path))} is not a mapping")
    return node


def _entry(mapping: MappingNode, key: str) -> tuple[ScalarNode, Node] | None:
    """The mapping's own (key, value) pair; keys it only inherits through `<<:` do not count."""
    for k, v in mapping.value:
        if isinstance(k, ScalarNode) and k.tag != "tag:yaml.org,2002:merge" and k.value == key:
            return k, v
    return None


def _nodes(node: Node) -> Iterator[Node]:
    """Every node reference of the tree; an alias yields its anchored node once more."""
    stack = [node]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        yield current
        if id(current) in seen:
            continue  # already expanded: aliases are counted, not walked twice
        seen.add(id(current))
        if isinstance(current, MappingNode):
            for k, v in current.value:
                stack.extend((k, v))
        elif isinstance(current, SequenceNode):
            stack.extend(current.value)


# --- replacing an existing value -----------------------------------------------------------------


def _replace(
    text: str, root: Node, found: tuple[ScalarNode, Node], literal: str, key: str
) -> tuple[str, int]:
    key_node, value = found
    key_end = key_node.end_mark.index
    if value.start_mark.index < key_end:
        # An alias (`reviewed: *d`): the node is the anchored one, written elsewhere. Replace the alias
        # token itself, so only this entry changes and the anchor keeps its other users.
        match = _ALIAS.match(text, key_end)
        if match is None:
            raise EditError(f"cannot find the value of {key!r} in the file")
        return text[: match.start(1)] + literal + text[match.end(1) :], match.start(1)
    if not isinstance(value, ScalarNode) or value.style in ("|", ">"):
        raise EditError(f"{key!r} is not a plain date; write `{key}: {literal}` by hand")
    if value.anchor and sum(1 for n in _nodes(root) if n is value) > 1:
        raise EditError(
            f"{key!r} is shared through the anchor &{value.anchor}; changing it would change "
            f"every alias of it too. Write a plain date for this entry first"
        )
    start, end = value.start_mark.index, value.end_mark.index
    if value.value in _NULLS and value.style is None:
        if start == end:  # `reviewed:` with nothing after the colon
            colon = text.find(":", key_end, max(start, key_end + 1))
            if colon < 0:
                raise EditError(f"cannot find the value of {key!r} in the file")
            return text[: colon + 1] + " " + literal + text[colon + 1 :], colon + 2
        span = text[start:end]
        at = start + len(span) - len(value.value)  # the null word follows any anchor or tag
        return text[:at] + literal + text[end:], at
    span = text[start:end]
    inner = span.rfind(value.value)  # a date needs no escapes, so it appears verbatim inside its quotes
    if not value.value or inner < 0:
        raise EditError(f"cannot find the value of {key!r} in the file")
    at = start + inner
    return text[:at] + literal + text[at + len(value.value) :], at


# --- inserting a missing key ---------------------------------------------------------------------


def _insert(
    text: str, mapping: MappingNode, key: str, literal: str, after: tuple[str, ...]
) -> tuple[str, int]:
    wanted = [hit for name in after if (hit := _entry(mapping, name)) is not None]
    placed = next(
        (
            (k, end)
            for k, v in [*wanted, *reversed(mapping.value)]
            if (end := _scalar_end(text, k, v)) is not None
        ),
        None,
    )
    if placed is None:
        raise EditError(f"cannot find where to add {key!r}; add `{key}: {literal}` by hand")
    key_node, end = placed
    if mapping.flow_style:
        return text[:end] + f", {key}: {literal}" + text[end:], end + 2
    if text[end - 1 : end] == "\n":
        line_end = end  # a block scalar ends at the start of the next line
    else:
        newline = text.find("\n", end)
        line_end = len(text) if newline < 0 else newline + 1
    eol = "\r\n" if "\r\n" in text else "\n"  # the file's own line break
    line = " " * key_node.start_mark.column + f"{key}: {literal}"
    # When the last line has no line break, add one before the new line and none after it.
    added = eol + line if line_end == len(text) and not text.endswith("\n") else line + eol
    at = line_end + (len(eol) if added.startswith(eol) else 0) + key_node.start_mark.column
    return text[:line_end] + added + text[line_end:], at


def _scalar_end(text: str, key_node: Node, value: Node) -> int | None:
    """Where a scalar value written after this key ends; None for nested blocks, whose end is fuzzy."""
    if value.start_mark.index < key_node.end_mark.index:
        match = _ALIAS.match(text, key_node.end_mark.index)  # an alias: its token is the value here
        return match.end(1) if match else None
    if isinstance(value, ScalarNode):
        return int(value.end_mark.index)
    return None


# --- the safety net ------------------------------------------------------------------------------


def _verify(old: str, new: str, path: Path_, key: str, value: date) -> None:
    """The new file must parse to exactly the old data with only this one value set."""
    try:
        before = parse_text(old, "before").data
        after = parse_text(new, "after").data
    except LoadError as exc:
        raise EditError(
            f"the edit would break the file ({exc.diagnostic.message}); it was left untouched"
        ) from exc
    expected, written = _at(before, path), _at(after, path)
    got = written.get(key) if isinstance(written, dict) else None
    # A quoted date stays quoted (a string): the model reads both the same way.
    if got not in (value, value.isoformat()):
        raise EditError(f"the edit did not set `{key}` as intended; the file was left untouched")
    expected[key] = got
    if after != before:
        raise EditError(
            "the edit would change other values too (anchors or merge keys share this entry); "
            f"set `{key}: {value.isoformat()}` by hand"
        )


def _at(data: Any, path: Path_) -> Any:
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data
