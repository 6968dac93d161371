"""What the apply modules share: error contexts, batch-error items, read-back comparison."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmconf.engine.changes import Change
from crmconf.engine.diff import same

TRANSIENT = {"INTERNAL_ERROR", "RATE_LIMITS", "TIMEOUT"}


def context(change: Change) -> str:
    return f"hubspot: {change.action.value} {change.address}"


def split(address: str) -> tuple[str, str]:
    _, obj, name = address.split(".", 2)
    return obj, name


def matches(live: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return all(same(live.get(k), v) for k, v in wanted.items())


def item_name(error: Any) -> str:
    names = (error.context or {}).get("name") or []
    return str(names[0]) if names else ""


def item_name_raw(error: Mapping[str, Any]) -> str:
    names = (error.get("context") or {}).get("name") or []
    return str(names[0]) if names else ""


def item_ids(error: Any) -> list[str]:
    return [str(i) for i in (error.context or {}).get("ids") or []]
