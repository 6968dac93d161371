"""`provider: hubspot`: pipelines, properties and workflows of a HubSpot portal, through hubspot-api-client.

Settings (crmconf.yaml, `targets.<name>.settings`):
    token_env        NAME of the environment variable holding a private-app token (required)
    base_url         API root, default https://api.hubapi.com (an emulator in tests)
    timeout          seconds per request, default 30
    strict_decoding  decode answers with the client's validation on (tests), default false
    search_per_second  CRM searches a second at most, default 4 (HubSpot limits search on its own)
    retry            {max_attempts: 6, base_delay: 0.5, max_delay: 30} (keep delays tiny in tests)
    lock_settle      seconds a new apply lock settles before it is read back, default 2 (see state.py)
See docs/providers/hubspot.md for the name <-> id mapping and what becomes a manual step.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from crmconf.audit.runs import RunCounts, Window
from crmconf.engine.changes import Action, Change
from crmconf.engine.resource import Compiled, LiveObject, Snapshot
from crmconf.errors import ProviderError
from crmconf.health.query import Measured, Query
from crmconf.providers import Access, ProviderContext, Support
from crmconf.spec.diagnostics import Diagnostic
from crmconf.spec.model import Spec
from crmconf.spec.workspace import Sources
from crmconf_hubspot import checks, runs, scopes
from crmconf_hubspot.apply import Applier, State
from crmconf_hubspot.client import SETTINGS_SCHEMA, Client, parse_settings
from crmconf_hubspot.compile import Desired, compile_spec
from crmconf_hubspot.export import export
from crmconf_hubspot.fetch import BATCH, Fetcher, Registry
from crmconf_hubspot.health import HealthReader
from crmconf_hubspot.mapping import OBJECT_TYPES
from crmconf_hubspot.state import HubSpotStateStore


class HubSpotProvider:
    name: ClassVar[str] = "hubspot"
    capabilities: ClassVar[Mapping[str, Support]] = {
        "pipelines": Support.MANAGED,
        "fields": Support.MANAGED,
        "required_fields": Support.MANUAL,
        "stage_requirements": Support.MANUAL,
        "terminology": Support.READ_ONLY,
        "automations": Support.MANAGED,
        "permissions": Support.MANUAL,
        "owners": Support.READ_ONLY,
    }
    settings_schema: ClassVar[Mapping[str, Any]] = SETTINGS_SCHEMA
    kinds: ClassVar[frozenset[str]] = frozenset({"field", "pipeline", "stage", "automation"})
    # What reading a kind needs read with it (a verifying re-read reads no more): stages come with their
    # pipelines; a workflow is read back in spec words through the pipelines, stages and properties it names.
    read_depends: ClassVar[Mapping[str, frozenset[str]]] = {
        "stage": frozenset({"pipeline"}), "automation": frozenset({"pipeline", "stage", "field"})}
    # apply_batch splits a run by object and sends 100 a call: a run as long as a full call for every
    # object keeps 300 properties over 4 objects at 4 calls, not 6.
    batch_size: ClassVar[int] = BATCH * len(OBJECT_TYPES)

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        self.settings = parse_settings(ctx.target, ctx.settings)
        self.client = Client(self.settings)
        # What the last compile asked for and the ids the last fetch found: compile -> fetch -> apply
        # run on one instance (plan and apply both compile first), so fetch can name live objects with
        # spec names and read only what the plan needs.
        self._state = State(self.client, Desired(), Registry())

    @classmethod
    def check_spec(cls, spec: Spec, sources: Sources, target: str) -> list[Diagnostic]:
        """What HubSpot would refuse, found by `crmconf validate` (deal stage probabilities)."""
        return checks.check_spec(spec, sources, target)

    @property
    def read_concurrency(self) -> int:
        """Requests a fetch sends at once at most: the engine reads the managed record alongside."""
        return self.settings.read_concurrency

    # --- the protocol ---------------------------------------------------------------------------

    def compile(self, spec: Spec, sources: Sources) -> Compiled:
        compiled, self._state.desired = compile_spec(spec, sources)
        return compiled

    def fetch(self, kinds: frozenset[str]) -> Snapshot:
        snapshot, self._state.registry = Fetcher(self.client, self._state.desired, kinds,
                                                 self.settings.token_env).run()
        return snapshot

    def apply(self, change: Change) -> None:
        Applier(self._state).apply(change)

    def batchable(self, change: Change) -> bool:
        """Custom properties are created and archived in bulk (HubSpot's batch endpoints)."""
        return (change.kind == "field" and change.action in (Action.CREATE, Action.DELETE)
                and "type" in (change.after or change.before or {}) and not change.meta.get("hubspot_defined"))

    def apply_batch(self, changes: list[Change]) -> list[ProviderError | None]:
        return Applier(self._state).apply_batch(changes)

    def export(self, snapshot: Snapshot) -> dict[str, Any]:
        return export(snapshot, self.name)

    def measure(self, queries: Sequence[Query]) -> Measured:
        """`crmconf health`: search totals, paced and packed under HubSpot's limits (crmconf_hubspot/health.py)."""
        return HealthReader(self.client, self._state.desired, self.settings.token_env).measure(queries)

    def run_counts(self, automations: Sequence[LiveObject], window: Window) -> RunCounts:
        """`crmconf audit`: enrolments per workflow from HubSpot's workflow performance (crmconf_hubspot/runs.py)."""
        return runs.run_counts(self.client, automations, window)

    def access(self) -> list[Access]:
        """The scopes the compiled spec needs, and whether the token has each (one request)."""
        desired = self._state.desired
        needs = list(desired.needs) if desired.known else scopes.everything()
        # What `crmconf health` reads for this spec: the records of the objects it uses, activities, owners.
        used = sorted(desired.field_objects | desired.pipeline_objects | desired.lifecycle_objects)
        needs += scopes.for_health(used, activity=True, keys=[])
        granted = self.client.token_scopes()
        rows: dict[tuple[str, str], list[str]] = {}
        for need in needs:
            when = "optional" if need.optional else need.when
            concerns = rows.setdefault((need.scope, when), [])
            if need.concern not in concerns:
                concerns.append(need.concern)
        return [Access(scope, "; ".join(concerns), when, None if granted is None else scope in granted)
                for (scope, when), concerns in rows.items()]

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        yield

    def state_store(self) -> HubSpotStateStore:
        """crmconf's own documents (the managed record) as private files in the portal's file manager."""
        return HubSpotStateStore(self.client, self.ctx.target, settle=self.settings.lock_settle)

    def close(self) -> None:
        self.client.close()
