"""Addresses: the one way crmconf names the objects it plans about, built and read only here.

An address is a kind followed by segments, joined by dots: `field.deal.amount`,
`pipeline.new_business.stage.proposal`. A segment made only of letters, digits, `_` and `-` is written
bare; anything else (a Salesforce `Opportunity.Rule`, a workflow named "Route inbound leads") is written
as a JSON string, so no name can ever be read as part of another address:

    automation."Opportunity.Route_Leads"      # one segment, not three

Every kind has a fixed shape (`pipeline.<p>.stage.<s>` is four segments in that order), so a pipeline
named `stage` is `pipeline.stage` and its stage `x` is `pipeline.stage.stage.x`: readers take segments
by position, never by searching for `.stage.`. Engine, providers and commands build and parse
addresses through these functions instead of f-strings and `rsplit`.
"""

from __future__ import annotations

import fnmatch
import json
import re

_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
STEP_SEPARATOR = ":"  # a manual step's id is `<address>:<topic>`; `:` never appears bare in an address


class AddressError(ValueError):
    """A string that is not a well-formed address."""


_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")  # a plan builds 10^5 of these


def segment(text: str) -> str:
    """One segment as written in an address: bare when it can be, quoted otherwise."""
    if not text:
        raise AddressError("an address segment cannot be empty")
    return text if _SAFE.issuperset(text) else json.dumps(text, ensure_ascii=False)


def join(kind: str, *parts: str) -> str:
    if not kind or not _SAFE.issuperset(kind):
        raise AddressError(f"not a kind: {kind!r}")
    return ".".join([kind, *(segment(p) for p in parts)])


def child(parent: str, kind: str, name: str) -> str:
    """A child's address under its parent's (`pipeline.x` + stage `y` -> `pipeline.x.stage.y`)."""
    return f"{parent}.{kind}.{segment(name)}"


def split(address: str) -> tuple[str, ...]:
    """Every segment, unquoted: `automation."a.b"` -> ("automation", "a.b")."""
    if '"' not in address:  # the common case, no quoted segment: plain dots
        bare = tuple(address.split("."))
        if all(p and _SAFE.issuperset(p) for p in bare):
            return bare
    parts: list[str] = []
    i, n = 0, len(address)
    while True:
        if i < n and address[i] == '"':
            try:
                value, end = json.JSONDecoder().raw_decode(address, i)
            except json.JSONDecodeError as exc:
                raise AddressError(f"{address!r}: unterminated quoted segment") from exc
            if not isinstance(value, str) or not value:
                raise AddressError(f"{address!r}: a quoted segment must be a non-empty string")
            parts.append(value)
            i = end
        else:
            m = _SEGMENT.match(address, i)
            if m is None:
                raise AddressError(f"{address!r} is not an address (at character {i + 1})")
            parts.append(m.group())
            i = m.end()
        if i == n:
            return tuple(parts)
        if address[i] != ".":
            raise AddressError(f"{address!r} is not an address (at character {i + 1})")
        i += 1


def is_address(text: str) -> bool:
    try:
        return len(split(text)) >= 2
    except AddressError:
        return False


# --- the neutral kinds -----------------------------------------------------------------------------


def term(key: str) -> str:
    return join("term", key)


def field(obj: str, name: str) -> str:
    return join("field", obj, name)


def pipeline(name: str) -> str:
    return join("pipeline", name)


def stage(pipeline_name: str, stage_name: str) -> str:
    return join("pipeline", pipeline_name, "stage", stage_name)


def automation(name: str) -> str:
    return join("automation", name)


def permission(name: str) -> str:
    return join("permission", name)


def kind_of(address: str) -> str:
    return split(address)[0]


def name_of(address: str) -> str:
    """The last segment: a field's name, a stage's name, an automation's (bound) name."""
    return split(address)[-1]


def field_of(address: str) -> tuple[str, str] | None:
    """(object, field) of `field.<object>.<field>`; None for any other shape."""
    parts = _safe(address)
    return (parts[1], parts[2]) if len(parts) == 3 and parts[0] == "field" else None


def pipeline_of(address: str) -> str | None:
    """The pipeline's name of `pipeline.<p>` or of anything under it (`pipeline.<p>.stage.<s>`)."""
    parts = _safe(address)
    return parts[1] if len(parts) >= 2 and parts[0] == "pipeline" else None


def stage_of(address: str) -> tuple[str, str] | None:
    """(pipeline, stage) of exactly `pipeline.<p>.stage.<s>`; None for any other shape."""
    parts = _safe(address)
    if len(parts) == 4 and parts[0] == "pipeline" and parts[2] == "stage":
        return parts[1], parts[3]
    return None


def _safe(address: str) -> tuple[str, ...]:
    try:
        return split(address)
    except AddressError:
        return ()


# --- patterns and manual-step ids ------------------------------------------------------------------


def is_pattern(text: str) -> bool:
    return any(c in text for c in "*?[")


def matches(address: str, pattern: str) -> bool:
    """Shell-style wildcards over the address as written (`field.contact.hs_*`)."""
    return fnmatch.fnmatchcase(address, pattern) if is_pattern(pattern) else address == pattern


def step_id(address: str, topic: str) -> str:
    """A manual step's stable id: the address it is about and what it asks (`pipeline.nb:stage-requirements`)."""
    return f"{address}{STEP_SEPARATOR}{topic}" if topic else address
