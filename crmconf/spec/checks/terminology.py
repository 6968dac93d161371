"""The glossary is enforced: no label anywhere uses a word the council agreed to avoid."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from crmconf import address as addr
from crmconf.spec.checks.context import CheckContext
from crmconf.spec.diagnostics import Diagnostic, Location, warning
from crmconf.spec.model import CreateTask, Spec, Term

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Violation:
    word: str  # as written in the label
    preferred: str
    label: str


class Glossary:
    """All `avoid` words in one case-insensitive, whole-word regex, mapped back to their term."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self.preferred: dict[str, str] = {}
        for term in terms:
            for word in term.avoid:
                self.preferred.setdefault(word.casefold(), term.term)
        words = sorted(self.preferred, key=len, reverse=True)
        self.pattern = (
            re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE)
            if words
            else None
        )

    def scan(self, label: str) -> list[Violation]:
        if self.pattern is None:
            return []
        return [
            Violation(m.group(1), self.preferred[m.group(1).casefold()], label)
            for m in self.pattern.finditer(label)
        ]


def labels(spec: Spec) -> Iterator[tuple[str, Path_, str]]:
    """(address, path under it, label) for every label people will read in the CRM."""
    for obj, specs in spec.fields.items():
        for f in specs:
            address = addr.field(obj, f.name)
            yield address, ("label",), f.label
            for index, option in enumerate(f.options or ()):
                yield address, ("options", index), option.display
    for p in spec.pipelines:
        yield addr.pipeline(p.name), ("label",), p.label
        for index, s in enumerate(p.stages):
            yield addr.pipeline(p.name), ("stages", index, "label"), s.label
    for perm in spec.permissions:
        yield addr.permission(perm.name), ("label",), perm.label
    for a in spec.automations:
        for index, action in enumerate(a.actions):
            if isinstance(action, CreateTask):
                yield (
                    addr.automation(a.name),
                    ("actions", index, "create_task", "subject"),
                    action.create_task.subject,
                )


def diagnostic(v: Violation, what: str, where: Location | None) -> Diagnostic:
    return warning(
        "T401",
        f"{what} {v.label!r} uses {v.word!r}, a word the glossary avoids",
        where,
        hint=f"say {v.preferred!r} instead (glossary term {v.preferred!r})",
    )


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    glossary = Glossary(ctx.spec.terminology)
    if glossary.pattern is None:
        return
    for address, path, label in labels(ctx.spec):
        for violation in glossary.scan(label):
            yield diagnostic(violation, "label", ctx.at(address, *path))
