from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from crmconf.spec.diagnostics import Location
from crmconf.spec.model import FieldSpec, Spec
from crmconf.spec.standard import STANDARD_FIELDS
from crmconf.spec.workspace import Sources


@dataclass
class CheckContext:
    spec: Spec
    sources: Sources
    today: date
    _fields: dict[str, dict[str, str]] = field(default_factory=dict)

    def at(self, address: str, *sub: str | int, key: bool = False) -> Location | None:
        return self.sources.locate(address, *sub, key=key)

    @cached_property
    def field_types(self) -> dict[str, dict[str, str]]:
        """object -> field name -> type, standard fields included."""
        types = {obj: dict(std) for obj, std in STANDARD_FIELDS.items()}
        for obj, specs in self.spec.fields.items():
            types.setdefault(obj, {}).update({f.name: f.type for f in specs})
        return types

    @cached_property
    def declared(self) -> dict[tuple[str, str], FieldSpec]:
        return {(obj, f.name): f for obj, specs in self.spec.fields.items() for f in specs}

    def suggest(self, word: str, choices: list[str]) -> str | None:
        close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
        return f"did you mean {close[0]!r}?" if close else None
