"""`provider: salesforce`: crmconf against a Salesforce org, through simple-salesforce (REST + Metadata SOAP).

The modules, one concern each: client.py (login, errors, batching of calls), mapping.py (names and
types), compile.py + formulas.py + flows.py (spec -> resources), fetch.py (org -> live objects),
apply.py + stages.py (changes -> calls), export.py (org -> spec, for `crmconf import`).
docs/providers/salesforce.md explains the choices to users.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from crmconf.audit.runs import RunCounts, Window
from crmconf.engine.changes import Change
from crmconf.engine.resource import Compiled, LiveObject, Snapshot
from crmconf.health.query import Measured, Query
from crmconf.providers import ProviderContext, Support
from crmconf.spec.diagnostics import Diagnostic
from crmconf.spec.model import Spec
from crmconf.spec.workspace import Sources
from crmconf_salesforce import export as exporting
from crmconf_salesforce import runs
from crmconf_salesforce.apply import Applier
from crmconf_salesforce.client import (
    DEFAULT_API_VERSION,
    MD_BATCH,
    SETTINGS_SCHEMA,
    SalesforceClient,
    Settings,
)
from crmconf_salesforce.compile import State, compile_spec
from crmconf_salesforce.fetch import KINDS, Reader
from crmconf_salesforce.health import HealthReader
from crmconf_salesforce.state import SalesforceStateStore


class SalesforceProvider:
    name: ClassVar[str] = "salesforce"
    capabilities: ClassVar[Mapping[str, Support]] = {
        "pipelines": Support.MANAGED,
        "fields": Support.MANAGED,
        "required_fields": Support.MANAGED,
        "stage_requirements": Support.MANAGED,
        "terminology": Support.READ_ONLY,
        "automations": Support.MANAGED,
        "permissions": Support.MANAGED,
        "owners": Support.READ_ONLY,
    }
    settings_schema: ClassVar[Mapping[str, Any]] = SETTINGS_SCHEMA
    kinds: ClassVar[frozenset[str]] = KINDS  # read every kind, so unmanaged objects are listed too
    # What reading a kind needs read with it (a verifying re-read reads no more): a stage is a value of its
    # pipeline's process; crmconf's stage rules are named after their pipeline's stages.
    read_depends: ClassVar[Mapping[str, frozenset[str]]] = {
        "stage": frozenset({"pipeline"}), "validation_rule": frozenset({"pipeline", "stage"})}
    batch_size: ClassVar[int] = MD_BATCH  # the Metadata API takes 10 components a call
    # A flow's LastModifiedBy is whoever the API session belongs to, so the audit cannot tell crmconf's writes
    # from a person's by name: it excuses what a verified apply left instead (docs/provider-contract.md).
    writes_unmarked: ClassVar[bool] = True
    # A compiled flow reaches only a pilot's users through permission set assignment (crmconf_salesforce/pilots.py).
    pilots: ClassVar[bool] = True

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        self.settings = Settings.parse(ctx.settings)
        self.client = SalesforceClient(self.settings, ctx.target)
        # What the last compile learned (which live objects are ours, stage API names, migrations).
        # The engine always compiles before it fetches or applies; without it fetch reads everything.
        self.state: State | None = None
        self.applier = Applier(self.client, lambda: self.state)

    @property
    def read_concurrency(self) -> int:
        """Requests a fetch sends at once at most: the engine reads the managed record alongside."""
        return self.settings.read_concurrency

    @classmethod
    def check_spec(cls, spec: Spec, sources: Sources, target: str) -> list[Diagnostic]:
        """What an org would refuse, found offline by `crmconf validate`: compiling is pure, so its own
        diagnostics (names Salesforce cannot take, cross-object permission dependencies V608/V609, ...)
        are known before any plan."""
        version = str(spec.config.targets[target].settings.get("api_version", DEFAULT_API_VERSION))
        compiled, _ = compile_spec(spec, sources, version)
        return list(compiled.diagnostics)

    # --- the protocol ---------------------------------------------------------------------------

    def compile(self, spec: Spec, sources: Sources) -> Compiled:
        compiled, self.state = compile_spec(spec, sources, self.settings.api_version)
        return compiled

    def fetch(self, kinds: frozenset[str]) -> Snapshot:
        return Reader(self.client, self.state).fetch(kinds)

    def session(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def batchable(self, change: Change) -> bool:
        return self.applier.batchable(change)

    def apply(self, change: Change) -> None:
        self.applier.apply(change)

    def apply_batch(self, changes: list[Change]) -> list[Any]:
        return list(self.applier.apply_batch(changes))

    def export(self, snapshot: Snapshot) -> dict[str, Any]:
        """The org as spec sections. A snapshot read for a plan holds only what that spec manages in
        depth, so export reads the whole org again (every custom field, flow and permission set)."""
        if snapshot.facts.get("salesforce_depth") != "all":
            snapshot = Reader(self.client, None).fetch(snapshot.kinds)
        return exporting.export(snapshot)

    def run_counts(self, automations: Sequence[LiveObject], window: Window) -> RunCounts:
        """`crmconf audit`: interviews per flow from FlowInterviewLog, in one round trip (crmconf_salesforce/runs.py)."""
        return runs.run_counts(self.client, automations, window)

    def measure(self, queries: Sequence[Query]) -> Measured:
        """`crmconf health`: aggregate SOQL, 25 queries to a Composite Batch (crmconf_salesforce/health.py)."""
        return HealthReader(self.client, self.state).measure(queries)

    def state_store(self) -> SalesforceStateStore:
        """crmconf's own documents (the managed record) as private static resources in the org."""
        return SalesforceStateStore(self.client, self.ctx.target)

    def close(self) -> None:
        self.client.close()
