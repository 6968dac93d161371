"""Reading workspace files: YAML text -> plain data plus the position of every node.

ruamel.yaml's C composer (libyaml) builds the node tree with marks in a fraction of the time the
round-trip loader needs, so every node is located eagerly and cheaply; round-trip mode is kept for
the commands that edit files in place. Everything that can go wrong with bytes or YAML becomes a
located diagnostic here, never an exception.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.cyaml import CSafeLoader
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from crmconf.spec.diagnostics import Diagnostic, Location, error
from crmconf.spec.text import describe, unsafe_char

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_NODES = 2_000_000  # after alias expansion: far above any real workspace, far below a bomb
MAX_DEPTH = 64
# The C composer recurses once per level with no guard: 50,000 levels overflow the C stack (a segfault,
# not an exception). Nesting needs at least one character per level, so text this short composes safely
# and longer text is measured first with the parser's flat event stream, which does not recurse.
SAFE_TO_COMPOSE = 4096
YAML_SUFFIXES = (".yaml", ".yml")
CONFIG_NAMES = ("crmconf.yaml", "crmconf.yml")

Path_ = tuple[str | int, ...]


_BITS = 25  # a line or a column below 2**25: a file is at most 16 MB
_MARK = (1 << (2 * _BITS + 1)) - 1  # one position: (line << _BITS | column) + 1, 0 when there is none


def _mark(line: int, column: int) -> int:
    return (line << _BITS | column) + 1


@dataclass
class SourceFile:
    """One parsed file: its data, and where each value (and each mapping key) starts.

    `spots` maps a path to both positions packed in one int (the key's in the high bits, 0 for a list
    item or the root; the value's in the low bits, see `_mark`): a 50,000-field workspace has millions
    of paths, and one int a path instead of two tables of (line, column) tuples halves what they hold."""

    name: str
    text: str
    _data: Any
    spots: dict[Path_, int] = field(default_factory=dict)
    _dropped: bool = False

    @property
    def data(self) -> Any:
        """The file's plain data; read again from its text when it was let go (`let_go`)."""
        if self._dropped:
            self._data, self._dropped = parse_text(self.text, self.name)._data, False
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data, self._dropped = value, False

    def let_go(self) -> None:
        """Free the plain data once the spec is built from it (a large workspace holds it twice
        otherwise); the few commands that read a file's data again (import, done) parse it anew."""
        self._data, self._dropped = None, True

    def position(self, path: Path_, *, key: bool = False) -> tuple[int, int] | None:
        """(line, column), 0-based, of the value at `path` (or of its key), if it is written there."""
        spot = self.spots.get(path, 0)
        mark = spot >> (2 * _BITS + 1) if key else spot & _MARK
        if not mark:
            return None
        return (mark - 1) >> _BITS, (mark - 1) & ((1 << _BITS) - 1)

    def locate(self, path: Path_, *, key: bool = False) -> Location:
        """The position of `path`, or of its nearest located ancestor (pydantic may point past data)."""
        probe = tuple(path)
        while probe:
            found = self.position(probe, key=key) or (None if key else self.position(probe, key=True))
            if found is not None:
                return Location(self.name, found[0] + 1, found[1] + 1)
            probe = probe[:-1]
        line, col = self.position(()) or (0, 0)
        return Location(self.name, line + 1, col + 1)

    def line(self, number: int) -> str:
        lines = self.text.splitlines()
        return lines[number - 1] if 0 < number <= len(lines) else ""


class LoadError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic
        super().__init__(diagnostic.message)


def workspace_files(root: Path) -> list[Path]:
    """Every YAML file under root, config first, skipping hidden folders (.crmconf, .git)."""
    return scan(root)[0]


def scan(root: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """(every YAML file under root, config first; every folder that could not be listed, and why).

    Hidden folders (.crmconf, .git) are skipped. A folder crmconf cannot read is reported, never
    skipped silently: its specs would otherwise vanish from the plan, and their objects with them."""
    found: list[Path] = []
    unreadable: list[tuple[Path, str]] = []

    def failed(exc: OSError) -> None:
        unreadable.append((Path(exc.filename), exc.strerror or type(exc).__name__))

    seen: set[str] = set()
    # Linked folders are followed (a link out of the workspace is then refused by name, L111); each real
    # folder is read once, so a link loop cannot run forever.
    for folder, dirs, files in os.walk(root, onerror=failed, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        here = Path(folder)
        for name in files:
            path = here / name
            if path.suffix in YAML_SUFFIXES and not name.startswith(".") and path.is_file():
                found.append(path)
    found.sort(key=lambda p: (p.name not in CONFIG_NAMES, p.relative_to(root).as_posix()))
    return found, unreadable


def read_source(path: Path, name: str) -> SourceFile:
    raw = _read_bytes(path, name)
    text = _decode(raw, name)
    return parse_text(text, name)


def parse_text(text: str, name: str) -> SourceFile:
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise LoadError(
            error(
                "L105",
                "the file is empty",
                Location(name, 1, 1),
                hint="add a section (terminology, fields, pipelines, automations, permissions) or delete it",
            )
        )
    counted = _check_depth(text, name) if len(text) > SAFE_TO_COMPOSE else None
    root = _compose(text, name)
    source = SourceFile(name, text, None)
    if counted is None or counted > MAX_NODES:
        # Without an alias the tree is as large as the nodes the event pass counted: only a file with
        # aliases (or with that many nodes) needs walking to know what expanding them makes.
        _check_size(root, name)
    with warnings.catch_warnings():  # ruamel warns on stderr about YAML 1.1 number spellings: not for users
        warnings.simplefilter("ignore")
        source.data = _Builder(source).build(root, (), 0)
    return source


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LoadError(
                error(
                    "L107",
                    f"the file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}",
                    Location(name, 1, 1),
                    hint="split the workspace into several files",
                )
            )
        return path.read_bytes()
    except OSError as exc:
        raise LoadError(error("L100", f"cannot read the file: {exc.strerror}", Location(name, 1, 1))) from exc


def _decode(raw: bytes, name: str) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise LoadError(
            error(
                "L101",
                f"the file is not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded",
                Location(name, line, column),
                hint="save the file as UTF-8",
            )
        ) from exc
    if "\x00" in text:
        offset = text.index("\x00")
        line = text.count("\n", 0, offset) + 1
        raise LoadError(
            error("L101", "the file contains a NUL byte: it is not a text file", Location(name, line, 1))
        )
    return text


def _compose(text: str, name: str) -> Node:
    loader = CSafeLoader(text)
    try:
        node = loader.get_single_node()
    except MarkedYAMLError as exc:
        raise LoadError(_syntax_diagnostic(exc, text, name)) from exc
    except ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise LoadError(
            error(
                "L101",
                f"the file contains a control character ({exc.character!r}) YAML does not allow",
                Location(name, line, column),
                hint="remove it; YAML files are printable text",
            )
        ) from exc
    except YAMLError as exc:
        raise LoadError(error("L102", f"invalid YAML: {exc}", Location(name, 1, 1))) from exc
    except RecursionError as exc:
        raise LoadError(
            error("L108", f"nesting deeper than {MAX_DEPTH} levels", Location(name, 1, 1))
        ) from exc
    finally:
        loader.dispose()
    if node is None or (isinstance(node, ScalarNode) and str(node.tag).endswith(":null")):
        raise LoadError(error("L105", "the file is empty", Location(name, 1, 1)))
    assert isinstance(node, Node)
    return node


_OPEN = (MappingStartEvent, SequenceStartEvent)
_CLOSE = (MappingEndEvent, SequenceEndEvent)


def _check_depth(text: str, name: str) -> int:
    """Refuse nesting deeper than MAX_DEPTH; the number of nodes, or more than MAX_NODES when the text
    holds an alias (its expansion is not counted here)."""
    loader = CSafeLoader(text)
    depth = nodes = 0
    try:
        while (event := loader.get_event()) is not None:
            kind = type(event)
            if kind is ScalarEvent:
                nodes += 1
            elif kind is AliasEvent:
                nodes = MAX_NODES + 1
            if kind in _OPEN:
                depth += 1
                nodes += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    raise LoadError(
                        error(
                            "L108",
                            f"nesting deeper than {MAX_DEPTH} levels",
                            Location(name, mark.line + 1, mark.column + 1),
                            hint="a spec is a few levels deep; flatten this structure",
                        )
                    )
            elif kind in _CLOSE:
                depth -= 1
            elif kind is StreamEndEvent:
                break
    except YAMLError:
        return MAX_NODES + 1  # composing reports syntax errors with their location; nothing counted
    finally:
        loader.dispose()
    return nodes


def _syntax_diagnostic(exc: MarkedYAMLError, text: str, name: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = exc.problem or exc.context or "invalid YAML"
    source_line = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
    if "\t" in source_line[: max(col, 1)] or "'\\t'" in problem:
        return error(
            "L103",
            "a tab character is used for indentation",
            Location(name, line, source_line.find("\t") + 1 if "\t" in source_line else col),
            hint="YAML indents with spaces only; replace the tab with spaces",
        )
    return error("L102", f"invalid YAML: {problem}", Location(name, line, col))


def _check_size(root: Node, name: str) -> None:
    """Refuse alias bombs before expanding anything: subtree sizes are memoised per node."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in sizes:
            continue
        kids = list(_children(node))
        if not expanded and kids:
            stack.append((node, True))
            stack.extend((k, False) for k in kids if id(k) not in sizes)
            continue
        sizes[id(node)] = 1 + sum(sizes.get(id(k), 1) for k in kids)
        if sizes[id(node)] > MAX_NODES:
            mark = node.start_mark
            raise LoadError(
                error(
                    "L106",
                    f"aliases expand to more than {MAX_NODES:,} values (an alias bomb?)",
                    Location(name, mark.line + 1, mark.column + 1),
                    hint="use fewer nested aliases",
                )
            )


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, SequenceNode):
        yield from node.value


class _Builder:
    """Turns the node tree into plain data, recording positions and refusing duplicate keys."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.constructor = CSafeLoader("")

    def build(self, node: Node, path: Path_, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise LoadError(error("L108", f"nesting deeper than {MAX_DEPTH} levels", self._loc(node)))
        spots = self.source.spots
        spot = spots.get(path, 0)
        if not spot & _MARK:  # the first value written there (a merge key builds a path more than once)
            spots[path] = spot | _mark(node.start_mark.line, node.start_mark.column)
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self._scalar(node)

    def _mapping(self, node: MappingNode, path: Path_, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged.update(self._merge_source(value_node, path, depth))
                continue
            key = self._key(key_node)
            sub = (*path, key)
            if key in result:
                first = self.source.position(sub, key=True) or (0, 0)
                raise LoadError(
                    error(
                        "L104",
                        f"duplicate key {key!r}",
                        self._loc(key_node),
                        hint=f"{key!r} is first set at line {first[0] + 1}; keep one",
                        related=(Location(self.source.name, first[0] + 1, first[1] + 1),),
                    )
                )
            self.source.spots[sub] = _mark(key_node.start_mark.line, key_node.start_mark.column) << (2 * _BITS + 1)
            result[key] = self.build(value_node, sub, depth + 1)
        return {**{k: v for k, v in merged.items() if k not in result}, **result}

    def _merge_source(self, node: Node, path: Path_, depth: int) -> dict[str, Any]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for src in reversed(sources):
            value = self.build(src, path, depth + 1)
            if not isinstance(value, dict):
                raise LoadError(error("L102", "a merge key (<<) needs a mapping", self._loc(src)))
            merged.update(value)
        return merged

    def _key(self, node: Node) -> str:
        if not isinstance(node, ScalarNode):
            raise LoadError(error("L102", "a mapping key must be a plain value", self._loc(node)))
        value = self._scalar(node)
        if isinstance(value, str) and "\n" in value:
            raise LoadError(error("L113", "a key holds a line break", self._loc(node)))
        return (
            value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
        )

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:null"):
            return None if node.tag.endswith("null") else self._text(node)
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (YAMLError, ValueError, OverflowError) as exc:
            raise LoadError(
                error("L102", f"invalid value {node.value!r}: {str(exc).splitlines()[0]}", self._loc(node))
            ) from exc
        if isinstance(value, dt.datetime) and node.value.strip().count(":") == 0:
            return value.date()
        if isinstance(value, bytes | set):
            raise LoadError(error("L102", f"unsupported YAML type {node.tag}", self._loc(node)))
        if isinstance(value, float) and not math.isfinite(value):
            raise LoadError(
                error(
                    "L112",
                    f"{node.value!r} is not a finite number",
                    self._loc(node),
                    hint="write a number (NaN and infinity mean nothing in a CRM setting)",
                )
            )
        if isinstance(value, str):
            return self._text(node, value)
        return value

    def _text(self, node: ScalarNode, value: str | None = None) -> str:
        """A string holds no control or bidirectional-control character (they can only come from escapes)."""
        text = node.value if value is None else value
        bad = unsafe_char(text)
        if bad is not None:
            raise LoadError(
                error(
                    "L113",
                    f"the text holds {describe(bad)}, which could hide or reorder what a reader sees",
                    self._loc(node),
                    hint="remove it (a terminal escape, a right-to-left override or a control code)",
                )
            )
        return text

    def _loc(self, node: Node) -> Location:
        return Location(self.source.name, node.start_mark.line + 1, node.start_mark.column + 1)
