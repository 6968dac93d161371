"""Fault campaign: one fixed apply of 200+ changes, faulted at every request it makes, in turn.

The org starts where `converging_specs` leaves it (crmconf already manages it). The campaign spec
adds 200 custom fields across the five objects (picklists among them), a stage, a probability,
stage requirements (validation rules), picklist options, a permission set change, a pipeline
description and deactivates a compiled flow: a plan with no destructive change, so it is applied
WITHOUT --allow-destroy, as `crmconf apply` would (its request count, N, is taken from one clean run).
The follow-up spec is the same plus destructive changes (a ticket stage with records retired into
another, a picklist value in use removed), applied WITH --allow-destroy; the engine refuses a plan
holding any destructive change as a whole, so destructive changes only ever run in the follow-up.

For every request i in 0..N-1, the org is put back, request i gets a fault (the kinds rotate through
the API limit, a 5xx, a timeout and a dropped connection, with variants where the write landed but
the answer was lost), the apply runs through the engine and `crmconf apply`'s own code, then:
(a) the follow-up plan + apply leaves a plan with no changes, and an org equal to the clean run's;
(b) nothing was applied twice: no duplicate values, grants or flow versions (the org is compared
    with the clean run's, flow versions and records included);
(c) the journal says what happened: one line per planned change, the end record's counts equal the
    lines; an 'applied' change is live; a change not attempted or skipped is untouched; a failed
    one is untouched, landed (uncertain) or partly done, and the next plan has exactly the changes
    that are not live;
(d) the faulted run deleted nothing, moved no record and deactivated no value (emulator mutation log).

Every failure is collected and reported with its step and fault, so one run shows them all.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from crmconf_salesforce import SalesforceProvider

from crmconf.commands.apply import _execute
from crmconf.engine import plan as engine_plan
from crmconf.engine.apply import apply_plan, refuse_destroy
from crmconf.engine.changes import Action, Change, Plan
from crmconf.engine.diff import same
from crmconf.engine.journal import Journal, read
from crmconf.engine.resource import Compiled, Snapshot
from crmconf.errors import DestroyRefusedError, ProviderError
from crmconf.ui import Console
from crmconf.validation import Validated, require_valid
from tests.emulators.faults import Fault
from tests.emulators.salesforce import SalesforceEmulator
from tests.emulators.salesforce_org import Mutation, canonical
from tests.providers.salesforce.conftest import (
    CA_ENV,
    SESSION_ENV,
    TARGET,
    TODAY,
    add_spec_owners,
    apply_all,
    converging_specs,
    edit,
    provider_for,
)

# Short enough that the ~N/3 timeouts cost little, long enough that a loaded CI core answers in time.
FAST_TIMEOUT_S = 0.25
STALL_S = 0.3
FIELDS_PER_OBJECT = 40
OBJECTS = ("deal", "contact", "company", "lead", "ticket")
FIELD_KINDS = ("text", "number", "picklist", "date", "boolean", "currency", "percent", "url")


@dataclass(frozen=True)
class Kind:
    fault: Fault
    landed: bool = False  # applied_effect: the request is performed, then its answer is lost

    def __str__(self) -> str:
        return f"{self.fault.value}{' (landed)' if self.landed else ''}"


ROTATION = (
    Kind(Fault.RATE_LIMIT),
    Kind(Fault.SERVER_ERROR),
    Kind(Fault.TIMEOUT),
    Kind(Fault.DROP),
    Kind(Fault.SERVER_ERROR, landed=True),
    Kind(Fault.TIMEOUT, landed=True),
    Kind(Fault.DROP, landed=True),
)


# --- the workspaces -----------------------------------------------------------------------------


def generated_fields() -> str:
    lines = ["fields:"]
    for obj in OBJECTS:
        lines.append(f"  {obj}:")
        for i in range(FIELDS_PER_OBJECT):
            kind = FIELD_KINDS[i % len(FIELD_KINDS)]
            line = f"    - {{name: gen_{obj}_{i}, label: Gen {obj.title()} {i}, type: {kind}"
            if kind == "picklist":
                line += ", options: [{value: red, label: Red}, {value: green, label: Green}, {value: blue}]"
            lines.append(line + "}")
    return "\n".join(lines) + "\n"


def campaign_specs(root: Path) -> None:
    """Turn a converged `converging_specs` workspace into the campaign's: non-destructive changes only."""
    (root / "generated.yaml").write_text(generated_fields())
    new_business = root / "pipelines" / "new-business.yaml"
    edit(new_business, "        probability: 80\n", "        probability: 70\n")
    edit(new_business, "require: [amount, close_date, lead_source, deal_type]",
         "require: [amount, close_date, lead_source, deal_type, gen_deal_0]")
    renewals = root / "pipelines" / "renewals.yaml"
    edit(renewals, "    description: Renewal of an existing subscription",
         "    description: Renewing an existing subscription")
    edit(renewals, "      - name: renewal_negotiation\n",
         "      - name: expansion_check\n        label: Expansion Check\n        probability: 80\n"
         "        require: [arr, gen_deal_1]\n\n      - name: renewal_negotiation\n")
    deal = root / "fields" / "deal.yaml"
    edit(deal, "        - {value: event, label: Event}\n",
         "        - {value: event, label: Events & Conferences}\n        - {value: podcast, label: Podcast}\n")
    permissions = root / "permissions.yaml"
    edit(permissions, "      contact: [read, create, edit]\n      company: [read, create, edit]\n      ticket: [read]\n"
         "    fields:\n      deal.amount: edit\n      deal.discount_percent: read",
         "      contact: [read, create, edit, delete]\n      company: [read, create, edit]\n      ticket: [read]\n"
         "    fields:\n      deal.amount: edit\n      deal.gen_deal_2: read\n      contact.gen_contact_0: edit\n"
         "      deal.discount_percent: read")
    automations = root / "automations.yaml"
    edit(automations, "    team: sales\n    purpose: Proposals", "    status: inactive\n    team: sales\n    purpose: Proposals")


def destructive_specs(root: Path) -> None:
    """The follow-up's extra: a ticket stage holding records retired into another, a used value removed."""
    support = root / "pipelines" / "support.yaml"
    text = support.read_text()
    start = text.index("      - name: waiting_on_customer\n")
    end = text.index("      - name:", start + 10)
    support.write_text(text[:start] + text[end:])
    edit(support, "    stages:\n", "    migrate_to: {waiting_on_customer: in_progress}\n    stages:\n")
    deal = root / "fields" / "deal.yaml"
    edit(deal, "        - {value: Renewal}\n", "")


# --- what the org is ----------------------------------------------------------------------------

_VOLATILE = {"LastModifiedDate", "SystemModstamp", "LastModifiedById", "CreatedDate", "CreatedById"}


def org_state(emu: SalesforceEmulator) -> dict[str, Any]:
    """The org as data, without timestamps: metadata, every flow version, every record."""
    org = emu.org
    with org.lock:
        md = {t: {n.lower(): canonical(c) for n, c in comps.items()} for t, comps in org.md.items() if comps}
        flows = {n.lower(): (f.active_number, [(v.number, canonical(v.metadata)) for v in f.versions])
                 for n, f in org.flows.items()}
        data = {s: {i: {k: v for k, v in r.items() if k not in _VOLATILE} for i, r in t.items()}
                for s, t in org.data.items()}
    return {"metadata": md, "flows": flows, "records": data}


def state_diff(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    out = []
    for section in ("metadata", "flows", "records"):
        g, w = got[section], want[section]
        for key in sorted(set(g) | set(w)):
            if isinstance(w.get(key), dict) and isinstance(g.get(key), dict) and section != "flows":
                for name in sorted(set(g[key]) | set(w[key])):
                    if g[key].get(name) != w[key].get(name):
                        out.append(f"{section} {key} {name}: {g[key].get(name)!r} != clean run's {w[key].get(name)!r}")
            elif g.get(key) != w.get(key):
                out.append(f"{section} {key}: {g.get(key)!r} != clean run's {w.get(key)!r}")
    return out


_IDENTITY = ("fullName", "field", "object", "value", "name")


def duplicates(value: Any, where: str = "") -> list[str]:
    """Lists whose items repeat an identity (a value twice in a value set, a grant twice...)."""
    out: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out += duplicates(v, f"{where}.{k}")
    elif isinstance(value, list):
        items = [v for v in value if isinstance(v, dict)]
        for key in _IDENTITY:
            ids = [str(v[key]).lower() for v in items if key in v]
            if len(ids) == len(items) and ids:
                twice = [i for i, n in Counter(ids).items() if n > 1]
                if twice:
                    out.append(f"{where}: {key} {twice} repeated")
                break
        for i, v in enumerate(value):
            out += duplicates(v, f"{where}[{i}]")
    return out


def active_values(emu: SalesforceEmulator) -> set[tuple[str, str]]:
    """(component, value) of every active standard or custom picklist value."""
    out: set[tuple[str, str]] = set()
    with emu.org.lock:
        for name, vs in emu.org.components("StandardValueSet").items():
            out |= {(name, str(v["fullName"])) for v in vs.get("standardValue") or [] if v.get("isActive", True)}
        for name, f in emu.org.components("CustomField").items():
            values = ((f.get("valueSet") or {}).get("valueSetDefinition") or {}).get("value") or []
            out |= {(name, str(v["fullName"])) for v in values if v.get("isActive", True)}
    return out


def destroyed(mutations: list[Mutation], before: set[tuple[str, str]], after: set[tuple[str, str]]) -> list[str]:
    out = [f"{m.op} {m.type} {m.name} {m.detail}".strip() for m in mutations
           if m.op in ("delete", "record-update", "record-delete")]
    return out + [f"deactivated {c}.{v}" for c, v in sorted(before - after)]


# --- the campaign -------------------------------------------------------------------------------


@dataclass
class Campaign:
    emu: SalesforceEmulator
    root: Path
    ws: Validated
    plus: Validated
    baseline: tuple[Any, ...]
    plan: Plan
    kinds: frozenset[str]
    fast: SalesforceProvider  # applies under faults: short timeout, no retry backoff
    compiled: Compiled  # the campaign spec, compiled: the next plan is made from it
    follower: SalesforceProvider  # reads for the checks, plans and applies the follow-up (campaign + destructive)
    follower_compiled: Compiled
    steps: int = 0
    clean: dict[str, Any] = dataclasses.field(default_factory=dict)


@pytest.fixture(scope="module")
def campaign(server: SalesforceEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Campaign]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(SESSION_ENV, server.session_id)
        mp.setenv(CA_ENV, server.ca_path)
        mp.delenv("REQUESTS_CA_BUNDLE", raising=False)
        server.reset()
        add_spec_owners(server)
        base = tmp_path_factory.mktemp("campaign")
        root = converging_specs(base / "ws", server)
        setup = provider_for(server, root)
        converged = apply_all(setup, root)
        assert converged.ok, [(r.change.address, r.detail) for r in converged.results if r.detail]
        setup.close()
        baseline = server.save()
        campaign_specs(root)
        plus_root = base / "plus"
        shutil.copytree(root, plus_root, ignore=shutil.ignore_patterns(".crmconf"))
        destructive_specs(plus_root)
        fast = provider_for(server, root, timeout_seconds=FAST_TIMEOUT_S, retry_backoff_seconds=0)
        follower = provider_for(server, plus_root, retry_backoff_seconds=0)
        ws, plus = require_valid(root, TODAY), require_valid(plus_root, TODAY)
        plan, compiled, _ = engine_plan.make_plan(ws, TARGET, fast)
        follower_compiled = follower.compile(plus.spec, plus.sources)
        c = Campaign(server, root, ws, plus, baseline, plan, engine_plan.kinds_of(compiled, fast), fast,
                     compiled, follower, follower_compiled)
        try:
            yield c
        finally:
            for p in (fast, follower):
                p.close()
            server.reset()


def follow_up(c: Campaign, snapshot: Snapshot) -> tuple[Plan, Plan]:
    """Plan and apply the follow-up (destructive changes allowed) from `snapshot`; the plan after it."""
    plan = engine_plan.plan_from(c.plus, TARGET, "salesforce", c.follower_compiled, snapshot)
    refuse_destroy(plan, allow_destroy=True)
    apply_plan(plan, c.follower, Journal(c.root / ".crmconf" / "follow-up.jsonl"))
    after = engine_plan.plan_from(c.plus, TARGET, "salesforce", c.follower_compiled, c.follower.fetch(c.kinds))
    return plan, after


class Reads:
    """The provider as `crmconf apply` sees it, noting whether its verifying read failed (that read covers
    only the kinds the apply touched, so the checks read the whole org afterwards). Everything else is the
    provider's own."""

    def __init__(self, provider: SalesforceProvider) -> None:
        self.provider = provider
        self.failed = False

    def fetch(self, kinds: frozenset[str]) -> Snapshot:
        try:
            return self.provider.fetch(kinds)
        except ProviderError:
            self.failed = True
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.provider, name)


def faulted_apply(c: Campaign) -> tuple[str, bool]:
    """`crmconf apply` after approval, on the fixed plan: the engine, the journal, the verifying read.

    Returns the error the command ended with ("" for none) and whether its verifying read failed.
    """
    refuse_destroy(c.plan, allow_destroy=False)
    provider = Reads(c.fast)
    try:
        _execute(c.ws, c.plan, provider, Console(), c.kinds)  # type: ignore[arg-type]
    except ProviderError as exc:  # the CLI prints it and exits 1; the journal keeps what it wrote
        return str(exc), provider.failed
    return "", provider.failed


def start(c: Campaign) -> None:
    c.emu.reset()
    c.emu.restore(c.baseline)
    c.emu.faults.timeout_stall_s = STALL_S
    (c.root / ".crmconf" / "journal.jsonl").unlink(missing_ok=True)


def test_the_campaign_plan_is_big_non_destructive_and_its_destructive_follow_up_is_refused(campaign: Campaign) -> None:
    c = campaign
    kinds = Counter(ch.kind for ch in c.plan.changes)
    actions = Counter(ch.action for ch in c.plan.changes)
    assert len(c.plan.changes) >= 200 and not c.plan.errors, (len(c.plan.changes), c.plan.errors)
    assert set(kinds) == {"field", "stage", "pipeline", "validation_rule", "automation", "permission"}, kinds
    assert actions[Action.CREATE] >= 200 and actions[Action.UPDATE] >= 5, actions
    assert not [ch.address for ch in c.plan.changes if ch.destructive]
    # The follow-up spec against the same org: destructive, so without --allow-destroy nothing runs at all.
    start(c)
    snapshot = c.follower.fetch(c.kinds)
    # Both specs manage the same things, so both providers read the same live objects (usage aside: a
    # provider counts the records of the picklist values its spec drops, and only the follow-up drops some).
    assert {a: o.attrs for a, o in snapshot.objects.items()} == {
        a: o.attrs for a, o in c.fast.fetch(c.kinds).objects.items()}
    plus_plan = engine_plan.plan_from(c.plus, TARGET, "salesforce", c.follower_compiled, snapshot)
    assert [ch.address for ch in plus_plan.changes if ch.destructive]
    with pytest.raises(DestroyRefusedError):
        refuse_destroy(plus_plan, allow_destroy=False)


def _check_journal(
    c: Campaign, entries: list[dict[str, Any]], error: str, unread: bool
) -> tuple[list[str], dict[str, str]]:
    problems = []
    begin = [e for e in entries if e["event"] == "begin"]
    lines = [e for e in entries if e["event"] == "change"]
    ends = [e for e in entries if e["event"] == "end"]
    outcome = {e["address"]: e["outcome"] for e in lines}
    if len(begin) != 1 or begin[0]["changes"] != len(c.plan.changes):
        problems.append(f"journal begin {begin} does not announce {len(c.plan.changes)} changes")
    if len(lines) != len(c.plan.changes) or set(outcome) != {ch.address for ch in c.plan.changes}:
        problems.append(f"journal has {len(lines)} change lines for {len(c.plan.changes)} planned changes")
    if len(ends) != 1:  # even when the verifying read fails (the API limit met there)
        problems.append(f"journal has {len(ends)} end records (the apply said: {error or 'nothing'})")
    elif unread and ends[0]["verified"]:
        problems.append("the verifying read failed, yet the journal's end says verified")
    elif ends and ends[0]["counts"] != {k: v for k, v in {**{o: 0 for o in ("applied", "failed", "skipped", "not-attempted")},
                                                  **Counter(outcome.values())}.items()}:
        problems.append(f"end counts {ends[0]['counts']} != lines {dict(Counter(outcome.values()))}")
    return problems, outcome


def _is(live: Snapshot, change: Change, side: str) -> bool:
    """The live object is as the change's `before` or `after` says (absent for a create's before)."""
    obj = live.get(change.address)
    attrs = change.before if side == "before" else change.after
    if attrs is None:
        return obj is None
    return obj is not None and all(same(obj.attrs.get(k), v) for k, v in attrs.items())


def check_step(
    c: Campaign, before_active: set[tuple[str, str]], error: str, live: Snapshot, unread: bool = False
) -> list[str]:
    """(c) and (d) after a faulted run; `live` is the org read right after it."""
    problems, outcome = _check_journal(c, read(c.root / ".crmconf" / "journal.jsonl"), error, unread)
    mutations = c.emu.mutations
    problems += [f"destructive without --allow-destroy: {d}" for d in destroyed(mutations, before_active,
                                                                               active_values(c.emu))]
    left = {ch.address for ch in engine_plan.plan_from(c.ws, TARGET, "salesforce", c.compiled,
                                                        live).changes}
    for ch in c.plan.changes:
        said = outcome.get(ch.address)
        if said == "applied" and ch.address in left:
            problems.append(f"{ch.address} journalled applied, but the next plan still has it")
        elif said in ("skipped", "not-attempted") and not _is(live, ch, "before"):
            problems.append(f"{ch.address} journalled {said}, but the org changed it")
        elif said == "failed" and ch.address not in left and not _is(live, ch, "after"):
            problems.append(f"{ch.address} failed, is not as planned, and the next plan lost it")
    problems += [f"{a} is in the next plan, but the faulted run journalled it applied" for a in sorted(left)
                 if outcome.get(a) == "applied"]
    problems += [f"{a} is in the next plan but was not in the fixed plan" for a in sorted(left - set(outcome))]
    return problems


def test_every_request_of_the_apply_faulted_in_turn(campaign: Campaign) -> None:
    c = campaign
    # The clean run: its request count is the campaign's length, its final org the reference.
    start(c)
    before_active = active_values(c.emu)
    error, unread = faulted_apply(c)
    assert not error and not unread, error
    c.steps = c.emu.requests.total
    live = c.follower.fetch(c.kinds)
    assert not check_step(c, before_active, "", live)
    _, after = follow_up(c, live)
    assert not after.changes, [(ch.address, ch.attrs, ch.meta) for ch in after.changes]
    c.clean = org_state(c.emu)
    assert not duplicates(c.clean)
    assert c.steps >= 40, c.steps

    failures: list[str] = []
    for i in range(c.steps):
        kind = ROTATION[i % len(ROTATION)]
        start(c)
        before_active = active_values(c.emu)
        c.emu.faults.inject(kind.fault, skip=i, applied_effect=kind.landed)
        error, unread = faulted_apply(c)
        if c.emu.faults.pending():
            failures.append(f"step {i} ({kind}): the fault never fired ({c.emu.requests.total} requests)")
            continue
        live = c.follower.fetch(c.kinds)  # the whole org, whatever the verifying read covered
        problems = check_step(c, before_active, error, live, unread)
        try:
            _, after = follow_up(c, live)
        except ProviderError as exc:
            problems.append(f"the follow-up failed: {exc}")
        else:
            problems += [f"after the follow-up, still planned: {ch.action.value} {ch.address}" for ch in after.changes]
            final = org_state(c.emu)
            problems += duplicates(final)
            problems += state_diff(final, c.clean)[:5]
        failures += [f"step {i} ({kind}): {p}" for p in problems]
    assert not failures, f"{len(failures)} problem(s) in {c.steps} faulted applies:\n" + "\n".join(failures[:60])
