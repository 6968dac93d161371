"""A target's `overrides`: the spec as that target gets it (values that must differ per environment). Pure.

Each override names one item (`automations: {stalled_alert: {owner: qa@acme.example}}`; a field as
`<object>.<field>`) and the keys to set on it. The item with its overrides is validated again by the same
model, so a bad override is refused per target, located at the override, before any plan.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from crmconf.spec.model import Spec

NAME_KEY = {"terminology": "term", "pipelines": "name", "automations": "name", "permissions": "name"}


@dataclass(frozen=True)
class Problem:
    target: str
    path: tuple[str, ...]  # in crmconf.yaml: ("targets", target, "overrides", section, name[, key])
    message: str


def _items(spec: Spec, section: str) -> dict[str, BaseModel]:
    if section == "fields":
        return {f"{obj}.{f.name}": f for obj, fs in spec.fields.items() for f in fs}
    items: tuple[BaseModel, ...] = getattr(spec, section)
    return {str(getattr(i, NAME_KEY[section])): i for i in items}


def _apply(item: BaseModel, keys: dict[str, Any]) -> BaseModel:
    return type(item).model_validate({**item.model_dump(exclude_unset=True), **keys})


def problems(spec: Spec) -> Iterator[Problem]:
    for target, settings in spec.config.targets.items():
        for section, named in settings.overrides.items():
            items = _items(spec, section)
            for name, keys in named.items():
                base = ("targets", target, "overrides", section, name)
                if name not in items:
                    yield Problem(target, base, f"target {target}: overrides {section} {name!r}, which the spec does not have")
                    continue
                if "name" in keys or "term" in keys:
                    yield Problem(target, base, f"target {target}: an override cannot rename {name!r}")
                    continue
                try:
                    _apply(items[name], keys)
                except ValidationError as exc:
                    err = exc.errors(include_url=False)[0]
                    where = tuple(str(p) for p in err["loc"][:1])
                    yield Problem(target, (*base, *where), f"target {target}: override of {name!r}: "
                                  f"{'.'.join(map(str, err['loc']))}: {err['msg']}")


def effective(spec: Spec, target: str | None) -> Spec:
    """The spec with `target`'s overrides applied (the spec itself when it has none)."""
    settings = spec.config.targets.get(target or spec.config.default_target)
    if settings is None or not settings.overrides:
        return spec
    update: dict[str, Any] = {}
    for section, named in settings.overrides.items():
        if section == "fields":
            update["fields"] = {
                obj: tuple(_apply(f, named[f"{obj}.{f.name}"]) if f"{obj}.{f.name}" in named else f for f in fs)
                for obj, fs in spec.fields.items()
            }
        else:
            key = NAME_KEY[section]
            update[section] = tuple(
                _apply(i, named[str(getattr(i, key))]) if str(getattr(i, key)) in named else i
                for i in getattr(spec, section)
            )
    return spec.model_copy(update=update)
