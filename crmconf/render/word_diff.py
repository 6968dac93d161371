"""Text changes word by word, whole: `[-removed-]{+added+}` (git's --word-diff=plain), nothing cut.

A long definition shown cut at both ends hides the one word a pull request changes; a word diff shows
exactly that word, and the whole text around it, however long.
"""

from __future__ import annotations

import difflib
import re

_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff(before: str, after: str) -> str:
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            out.append("".join(old[i1:i2]))
            continue
        if i2 > i1:
            out.append("[-" + "".join(old[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + "".join(new[j1:j2]) + "+}")
    return "".join(out)


def is_text(value: object) -> bool:
    """A value worth a word diff: text with more than one word."""
    return isinstance(value, str) and bool(re.search(r"\s", value.strip()))
