"""Which private-app scopes each concern of a spec needs, and the one plain error when some are missing.

HubSpot refuses a call whose token lacks the scope (403 MISSING_SCOPES). crmconf reads only what the
spec and the plan need, so a token is asked only for the scopes of the concerns the spec uses. Before
a plan reads anything, the token's scopes are looked up once (private-app token introspection); every
scope a read would need and the token lacks is reported in one located error, naming the concern that
needs it. Scopes needed only to write are reported by `crmconf providers --target T`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from crmconf.spec.diagnostics import Location
from crmconf_hubspot.mapping import OBJECT_TYPES, PLURAL_LABELS

PLAN, APPLY, DESTROY = "plan", "apply", "destroy"  # when a scope is needed
HEALTH = "health"  # `crmconf health`: counting records
APP_SCOPES_PATH = "Settings \u203a Integrations \u203a Private apps \u203a (the app) \u203a Scopes"


@dataclass(frozen=True)
class Need:
    scope: str
    concern: str  # what in the spec needs it, in words
    where: Location | None = None
    when: str = PLAN  # plan: reading; apply: writing; destroy: counting or moving records a plan removes
    optional: bool = False  # without it crmconf still works, reading less (sensitive properties)


def schema(obj: str, access: str) -> str:
    """Properties, property groups and validation rules ([docs] scopes reference)."""
    return "tickets" if obj == "ticket" else f"crm.schemas.{OBJECT_TYPES[obj]}.{access}"


def objects(obj: str, access: str) -> str:
    """Records and pipelines of an object."""
    return "tickets" if obj == "ticket" else f"crm.objects.{OBJECT_TYPES[obj]}.{access}"


def sensitive(obj: str) -> str:
    return f"crm.objects.{OBJECT_TYPES[obj]}.sensitive.read.v2"


def for_fields(obj: str, where: Location | None) -> list[Need]:
    concern = f"fields on {PLURAL_LABELS[obj].lower()}"
    return [Need(schema(obj, "read"), concern, where), Need(schema(obj, "write"), concern, where, APPLY),
            Need(sensitive(obj), f"sensitive properties on {PLURAL_LABELS[obj].lower()}", where, optional=True),
            Need(objects(obj, "read"), f"counting the {PLURAL_LABELS[obj].lower()} a removed option or field holds",
                 where, DESTROY)]


def for_pipelines(obj: str, where: Location | None) -> list[Need]:
    concern = f"{obj} pipelines"
    return [Need(objects(obj, "read"), concern, where), Need(objects(obj, "write"), concern, where, APPLY),
            Need(objects(obj, "write"), f"moving {PLURAL_LABELS[obj].lower()} out of a removed stage (migrate_to)",
                 where, DESTROY)]


def for_lifecycle(obj: str, where: Location | None) -> list[Need]:
    return [Need(objects(obj, "read"), f"the {obj} lifecycle stages", where)]


def for_automations(where: Location | None, teams: bool) -> list[Need]:
    needs = [Need("automation", "automations", where), Need("automation", "automations", where, APPLY),
             Need("settings.users.read", "checking automation owners are active users", where),
             Need("crm.objects.owners.read", "checking automation owners are active users", where)]
    if teams:
        needs.append(Need("settings.users.teams.read", "workflows that notify or rotate among a team", where))
    return needs


def for_permissions(where: Location | None) -> list[Need]:
    return [Need("settings.users.read", "checking the roles of permission sets exist", where)]


RECORD_READ = "reading crmconf's managed record, a private file in the file manager every plan reads"
RECORD_WRITE = "writing the managed record and the apply lock"


def for_record() -> list[Need]:
    """crmconf's own documents in the portal (crmconf_hubspot.state): every plan reads the managed record,
    every apply takes the lock and writes the record; all of it through the Files API ([docs] `files`)."""
    return [Need("files", RECORD_READ), Need("files", RECORD_WRITE, when=APPLY)]


def for_health(measured: list[str], activity: bool, keys: list[str]) -> list[Need]:
    """`crmconf health`: searching the records of each object it measures, the activities (calls, e-mails,
    meetings, notes and tasks take the contacts scope [docs]), the owners, and each dedup key's property."""
    plural = PLURAL_LABELS
    needs = [Need(objects(obj, "read"), f"counting {plural[obj].lower()} (health)", when=HEALTH) for obj in measured]
    if activity:
        needs.append(Need("crm.objects.contacts.read", "counting logged activities (health)", when=HEALTH))
    needs.append(Need("crm.objects.owners.read", "health per owner", when=HEALTH))
    needs += [Need(schema(obj, "read"), f"whether HubSpot keeps a {obj} dedup key unique (health)", when=HEALTH)
              for obj in keys]
    return needs


def everything() -> list[Need]:
    """What reading the whole portal needs (import, audit of everything)."""
    needs = [n for obj in OBJECT_TYPES for n in for_fields(obj, None)]
    needs += [n for obj in ("deal", "ticket") for n in for_pipelines(obj, None)]
    return needs + for_automations(None, teams=False) + for_permissions(None) + for_record()


def missing(needs: Iterable[Need], granted: frozenset[str], when: str = PLAN) -> list[Need]:
    return [n for n in needs if n.when == when and not n.optional and n.scope not in granted]


def message(lacking: list[Need], token_env: str, needed_by: str = "this plan needs") -> str:
    """One plain sentence: each missing scope, the concerns that need it and where the spec asks for them."""
    by_scope: dict[str, list[str]] = {}
    for need in lacking:
        said = f"{need.concern}, {need.where}" if need.where else need.concern
        if said not in by_scope.setdefault(need.scope, []):
            by_scope[need.scope].append(said)
    parts = [f"`{scope}` ({'; '.join(concerns)})" for scope, concerns in by_scope.items()]
    plural = "s" if len(parts) > 1 else ""
    return (f"the private app's token (${token_env}) lacks the scope{plural} {needed_by}: {'; '.join(parts)}. "
            f"Grant {'them' if plural else 'it'} in HubSpot ({APP_SCOPES_PATH}) and use the app's new token")
