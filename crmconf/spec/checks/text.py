"""Labels that mix scripts: allowed (a label is prose), but a reviewer is told, since a Cyrillic 'O' in
'Opportunity' reads as Latin and slips past the glossary (names that mix scripts are refused outright)."""

from __future__ import annotations

from collections.abc import Iterator

from crmconf.spec import text
from crmconf.spec.checks.context import CheckContext
from crmconf.spec.checks.terminology import labels
from crmconf.spec.diagnostics import Diagnostic, warning


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    for address, path, label in labels(ctx.spec):
        if not label.isascii() and text.mixed(label):
            yield warning(
                "T403",
                f"the label {label!r} mixes scripts ({', '.join(sorted(text.scripts(label)))}): some letters "
                "may only look like the ones a reader expects",
                ctx.at(address, *path),
                hint="write the label in one script, unless the mix is meant",
            )
