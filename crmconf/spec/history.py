"""Append a review to the workspace's review history (a `reviews:` section), keeping everything else.

The history lives beside the automation it records, in `reviews.yaml` in the same folder, so git keeps
who reviewed what, when, and what they decided. The file is edited with a ruamel round trip: comments,
quotes and the order of entries stay as written; the new entry is one flow mapping per line. The result
is re-read and must equal the old history plus the new entry, or nothing is written.
"""

from __future__ import annotations

import io
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from crmconf import files
from crmconf.errors import UsageError
from crmconf.spec.load import LoadError, parse_text
from crmconf.spec.model import ReviewRecord
from crmconf.spec.modeline import modeline

FILE = "reviews.yaml"
HEADER = (
    "# The review history of the automations beside it: `crmconf review NAME --by EMAIL` appends here.\n"
)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # a long note stays on one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _entry(record: ReviewRecord) -> CommentedMap:
    entry = CommentedMap(record.model_dump(mode="python", exclude_none=True))
    entry.fa.set_flow_style()
    return entry


def append(root: Path, relative: str, record: ReviewRecord) -> tuple[str, int]:
    """Add `record` to the `reviews` of `root/relative` (created when missing); (file, line of the entry)."""
    path = root / relative
    text = path.read_text(encoding="utf-8") if path.exists() else modeline("spec", path, root) + HEADER + "reviews:\n"
    yaml = _yaml()
    try:
        data = yaml.load(text) or CommentedMap()
    except YAMLError as exc:
        raise UsageError(f"{relative} is not valid YAML, so the review cannot be recorded there: {exc}") from exc
    if not isinstance(data, CommentedMap) or not isinstance(data.get("reviews") or [], list):
        raise UsageError(f"{relative}: `reviews` must be a list to record a review there")
    if data.get("reviews") is None:
        data["reviews"] = CommentedSeq()
    history = data["reviews"]
    history.append(_entry(record))
    out = io.StringIO()
    yaml.dump(data, out)
    new_text = out.getvalue()
    _verify(text, new_text, relative, record)
    files.write_text(path, new_text, root=root)
    return relative, _line_of_last(new_text)


def _reviews_of(text: str, name: str) -> list[object]:
    if text.rstrip().endswith("reviews:") and text.count("\n- ") == 0 and "  - " not in text:
        return []  # the new file: a header and an empty section, which the loader calls empty
    try:
        data = parse_text(text, name).data
    except LoadError as exc:
        raise UsageError(f"{name}: {exc.diagnostic.message}") from exc
    return list(data.get("reviews") or []) if isinstance(data, dict) else []


def _verify(old: str, new: str, name: str, record: ReviewRecord) -> None:
    before, after = _reviews_of(old, name), _reviews_of(new, name)
    expected = [*before, record.model_dump(mode="python", exclude_none=True)]
    if after != expected:
        raise UsageError(f"{name}: appending the review would change other entries; it was not written")


def _line_of_last(text: str) -> int:
    lines = text.splitlines()
    return max(i for i, line in enumerate(lines, 1) if line.lstrip().startswith("- {"))
