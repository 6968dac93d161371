"""Teams for an imported workspace: a live CRM knows owning teams by name only, never their members."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def _named(data: Any) -> Iterator[str]:
    """Every team an exported section names as an owner (`owners`, `owner_team`, automation `team`)."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            if key == "owners" and isinstance(value, list):
                yield from (str(v) for v in value)
            elif key in ("owner_team", "team") and isinstance(value, str):
                yield value
            elif key != "actions":  # assign_round_robin.team names a CRM team, not an owning one
                yield from _named(value)
    elif isinstance(data, list):
        for item in data:
            yield from _named(item)


def declared_teams(sections: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A `teams` section declaring each owning team the sections name, members left for people to add."""
    names = sorted(set(_named({k: v for k, v in sections.items() if k != "teams"})))
    return [{"name": n, "description": "imported: add its members (email, github)"} for n in names]
