"""What text may hold: names are plain and unmistakable, labels are printable and keep their direction.

A spec is reviewed by people reading a diff, so a character that reads as something it is not is an
attack on the review: a right-to-left override reorders what the reviewer sees, a terminal escape
rewrites it, and a Cyrillic a (U+0430) in an email, or Cyrillic 'Opp' (U+041E U+0440 U+0440), passes every eye and
every terminology check. Rules (after Unicode TR39's "highly restrictive" profile):

- every string: no control characters (tab and newline aside, where text may have lines) and no
  bidirectional embeddings, overrides or isolates (crmconf.spec.load checks this for every value);
- names (terms, picklist values, emails, bound vendor names): additionally no invisible or
  compatibility characters (NFKC must not change them), one script (Latin may join Han with Hiragana
  and Katakana, Bopomofo or Hangul), and not a non-Latin word made only of Latin look-alikes;
- labels: one line; mixing scripts is allowed but warned about (crmconf.spec.checks.text).

Script data comes from confusable_homoglyphs (Unicode's Scripts.txt and confusables.txt), loaded only
when a string is not plain ASCII.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
UNSAFE = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{BIDI}]")
_NEUTRAL = {"COMMON", "INHERITED"}
_ALLOWED_MIXES = (  # TR39 highly restrictive: Latin, with at most one of these CJK families
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


def describe(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'a control character')}"


def unsafe_char(value: str) -> str | None:
    """The first control or bidirectional-control character, if any (allowed: tab, newline)."""
    match = UNSAFE.search(value)
    return match.group(0) if match else None


def scripts(value: str) -> frozenset[str]:
    if value.isascii():
        return frozenset({"LATIN"}) if any(c.isalpha() for c in value) else frozenset()
    return _scripts(value)


@lru_cache(maxsize=4096)
def _scripts(value: str) -> frozenset[str]:
    from confusable_homoglyphs import categories

    return frozenset(categories.unique_aliases(value)) - _NEUTRAL


def mixed(value: str) -> bool:
    found = scripts(value)
    return len(found) > 1 and not any(found <= allowed for allowed in _ALLOWED_MIXES)


def name_problem(value: str) -> str | None:
    """Why `value` is not an acceptable name, or None."""
    if value.isascii():
        bad = next((c for c in value if not c.isprintable()), None)
        return f"contains {describe(bad)}" if bad else None
    hidden = next((c for c in value if unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp")), None)
    if hidden is not None:
        return f"contains the invisible character {describe(hidden)}"
    if unicodedata.normalize("NFKC", value) != value:
        changed = next(c for c in value if unicodedata.normalize("NFKC", c) != c)
        return f"contains {describe(changed)}, a look-alike of {unicodedata.normalize('NFKC', changed)!r}"
    if mixed(value):
        return f"mixes scripts ({', '.join(sorted(scripts(value)))}), so letters can pass for others"
    if _all_latin_lookalikes(value):
        return "is written in another script only with letters that look Latin"
    return None


def _all_latin_lookalikes(value: str) -> bool:
    found = scripts(value)
    if not found or "LATIN" in found:
        return False
    from confusable_homoglyphs import confusables

    letters = [c for c in value if c.isalpha()]
    return all(confusables.is_confusable(c, preferred_aliases=["latin"]) for c in letters)


def check_name(value: Any) -> Any:
    """A pydantic AfterValidator for names."""
    if isinstance(value, str) and (problem := name_problem(value)):
        raise ValueError(f"a name must be plain, unmistakable text: {value!r} {problem}")
    return value


def check_label(value: Any) -> Any:
    """A pydantic AfterValidator for labels: one line (control characters are refused on loading)."""
    if isinstance(value, str) and ("\n" in value or "\t" in value or "\r" in value):
        raise ValueError("a label is one line: no line breaks or tabs")
    return value
