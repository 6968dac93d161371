"""The requests of one HubSpot fetch, sent concurrently, answered as plain data in a fixed order.

fetch.py decides what to read and turns what was read into live objects; this module only sends the
reads, in as few round trips as their dependencies allow (crmconf.engine.pool):

- all at once: each object's property list (then, where fetch wants them, its sensitive properties,
  which depend on the plain list), each object's validation rules, the pipelines, the lifecycle
  pipelines, the user pages, the active and the archived owner pages, the teams, the roles, and the
  flow pages (then the details of the flows the spec needs, 100 a batch read, batches at once);
- the pages of one listing follow each other: HubSpot's `after` cursor is opaque.

Every request takes a slot of the client's gate, so at most `read_concurrency` are in flight, within
the rate budget HubSpot's headers announce. The same requests are sent as one at a time, and the
answers are kept by what was asked, never by which came first, so the snapshot is the same on every run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from crmconf.engine import pool
from crmconf_hubspot import scopes
from crmconf_hubspot.client import Client, MissingScopes
from crmconf_hubspot.mapping import OBJECT_TYPE_IDS, OBJECT_TYPES, compiled_name
from crmconf_hubspot.registry import property_record, raw_property_record

if TYPE_CHECKING:
    from crmconf_hubspot.fetch import Fetcher

FLOW_PAGE = 100
BATCH = 100


@dataclass
class Reads:
    """What one fetch read, by what was asked."""

    properties: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # object -> plain, then sensitive
    unread_sensitive: set[str] = field(default_factory=set)  # objects whose sensitive ones the token cannot list
    rules: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # object -> validation rule items
    pipelines: dict[str, list[Any]] = field(default_factory=dict)
    lifecycle: dict[str, list[Any]] = field(default_factory=dict)
    users: list[Any] = field(default_factory=list)
    owners: list[Any] = field(default_factory=list)
    archived_owners: list[Any] = field(default_factory=list)
    teams: list[Any] | None = None
    flows: list[dict[str, Any]] = field(default_factory=list)  # summaries, in listing order
    details: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> the full flow
    roles: list[Any] | None = None


def read(fetcher: Fetcher, reading: dict[str, Any]) -> Reads:
    """Send every read `reading` (Fetcher.plan) asks for; the scopes were checked before."""
    client, out = fetcher.client, Reads()
    workers = client.settings.read_concurrency
    calls: list[Callable[[], None]] = []
    for obj in reading["fields"]:
        calls.append(partial(_properties, fetcher, obj, out))
        if fetcher.wants_rules(obj):
            calls.append(partial(_rules, client, obj, out))
    calls += [partial(_pipelines, client, obj, out.pipelines, "pipelines") for obj in reading["pipelines"]]
    calls += [partial(_pipelines, client, obj, out.lifecycle, "lifecycle stages") for obj in reading["lifecycle"]]
    if reading["automations"]:
        calls.append(partial(_flows, fetcher, out, workers))
        calls += _people(fetcher, out)
    if reading["roles"]:
        calls.append(lambda: setattr(out, "roles", client.call(
            "list roles", client.api("roles").get_all, idempotent=True).results))
    pool.run(calls, workers)
    return out


def _pipelines(client: Client, obj: str, into: dict[str, list[Any]], what: str) -> None:
    into[obj] = client.call(f"list {OBJECT_TYPES[obj]} {what}", client.api("pipelines").get_all, OBJECT_TYPES[obj],
                            idempotent=True).results


def _properties(fetcher: Fetcher, obj: str, out: Reads) -> None:
    client = fetcher.client
    listed = [property_record(p) for p in client.call(
        f"list {OBJECT_TYPES[obj]} properties", client.api("properties").get_all, OBJECT_TYPES[obj],
        idempotent=True).results]
    if fetcher._sensitive_wanted(obj, {p["name"] for p in listed}):
        sensitive = _sensitive(client, fetcher.granted, obj)
        if sensitive is None:
            out.unread_sensitive.add(obj)
        else:
            listed += sensitive
    out.properties[obj] = listed


def _sensitive(client: Client, granted: frozenset[str] | None, obj: str) -> list[dict[str, Any]] | None:
    """Sensitive properties (`dataSensitivity`), or None when this token may not list them."""
    if granted is not None and scopes.sensitive(obj) not in granted:
        return None
    try:
        page = client.raw("GET", f"/crm/v3/properties/{OBJECT_TYPES[obj]}", qs={"dataSensitivity": "sensitive"},
                          idempotent=True)
    except MissingScopes:
        return None
    return [raw_property_record(p) for p in (page or {}).get("results") or []]


def _rules(client: Client, obj: str, out: Reads) -> None:
    page = client.raw("GET", f"/crm/v3/property-validations/{OBJECT_TYPE_IDS[obj]}", idempotent=True)
    out.rules[obj] = list((page or {}).get("results") or [])


def pages(client: Client, what: str, fn: Callable[..., Any], **kwargs: Any) -> list[Any]:
    items: list[Any] = []
    after = None
    while True:
        page = client.call(what, fn, idempotent=True, after=after, **kwargs)
        items.extend(page.results)
        after = page.paging.next.after if page.paging and page.paging.next else None
        if not after:
            return items


def _people(fetcher: Fetcher, out: Reads) -> list[Callable[[], None]]:
    """Who may own an automation: active users and owners; archived owners are deactivated people."""
    client = fetcher.client
    owners = client.api("owners").get_page
    calls: list[Callable[[], None]] = [
        lambda: setattr(out, "users", pages(client, "list users", client.api("users").get_page, limit=100)),
        lambda: setattr(out, "owners", pages(client, "list owners", owners, limit=500, archived=False)),
        lambda: setattr(out, "archived_owners", pages(client, "list archived owners", owners, limit=500,
                                                      archived=True)),
    ]
    if fetcher.desired.teams:
        calls.append(lambda: setattr(out, "teams", client.call(
            "list teams", client.api("teams").get_all, idempotent=True).results))
    return calls


def _flows(fetcher: Fetcher, out: Reads, workers: int) -> None:
    """The flow pages, then the details of the flows the spec needs (batch reads, at once)."""
    client, desired = fetcher.client, fetcher.desired
    after: str | None = None
    while True:
        page = client.flows("GET", qs={"limit": FLOW_PAGE, **({"after": after} if after else {})}, idempotent=True)
        out.flows.extend(page.get("results") or [])
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            break
    wanted = [s["id"] for s in out.flows if fetcher.everything or s["id"] in desired.bound
              or compiled_name(s.get("name")) in desired.compiled]
    chunks = [wanted[start:start + BATCH] for start in range(0, len(wanted), BATCH)]
    # A read sent as POST: safe to repeat.
    answers = pool.run([partial(client.flows, "POST", "/batch/read", idempotent=True,
                                body={"inputs": [{"flowId": fid, "type": "FLOW_ID"} for fid in chunk]})
                        for chunk in chunks], workers)
    for page in answers:
        out.details.update({str(f["id"]): f for f in (page or {}).get("results") or []})
