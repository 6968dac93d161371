"""The promotion order names real targets once each, and every target's overrides validate (G61x)."""

from __future__ import annotations

from collections.abc import Iterator

from crmconf.promotion.overrides import problems
from crmconf.spec.checks.context import CheckContext
from crmconf.spec.diagnostics import Diagnostic, Location, error


def _config_at(ctx: CheckContext, *path: str | int) -> Location | None:
    config = next((s for n, s in ctx.sources.files.items() if n in ("crmconf.yaml", "crmconf.yml")), None)
    return config.locate(tuple(path)) if config else None


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    order = ctx.spec.config.promotion
    targets = ctx.spec.config.targets
    for i, name in enumerate(order):
        if name not in targets:
            yield error("G610", f"promotion names target {name!r}, which crmconf.yaml does not define",
                        _config_at(ctx, "promotion", i),
                        hint=ctx.suggest(name, list(targets)) or "targets: " + ", ".join(sorted(targets)))
        elif name in order[:i]:
            yield error("G610", f"promotion names target {name!r} twice", _config_at(ctx, "promotion", i))
    if len(order) == 1:
        yield error("G610", "promotion needs at least two targets (the first, then the one it is promoted to)",
                    _config_at(ctx, "promotion"))
    for problem in problems(ctx.spec):
        yield error("G611", problem.message, _config_at(ctx, *problem.path),
                    hint="overrides set keys of an item the spec defines; the result must validate like the item")
