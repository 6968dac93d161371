"""Fault campaign: one fixed apply of 250+ changes, replayed once per request it makes, that request faulted.

The apply is what a user runs: `crmconf apply` (refused: the plan has destructive changes), then
`crmconf apply --allow-destroy`. A clean run counts the requests of that sequence; then for every
request index i the portal is reset, a fault is armed on exactly the i-th request (an unrestricted
rule with `skip=i`) and the sequence runs again. The fault kinds rotate through 429, 5xx, timeouts
and dropped connections, and writes also get lost answers to requests HubSpot did perform
(`applied_effect=True`). After every run:

(a) a follow-up plan + apply (clean) converges: the plan after it is empty;
(b) nothing was created twice (the emulator's log of performed writes);
(c) the journal tells the truth: one line per planned change, end counts equal to the lines, every
    'applied' change had its effect and is live, every write the portal performed belongs to a
    change journalled 'applied' or 'failed' (never one skipped or not attempted), and every change
    that neither applied nor touched the portal is still in the next plan;
(d) the refused apply wrote nothing and left the properties to archive in place, and the allowed
    one destroyed nothing the plan did not list as destructive.

The refused apply only reads and is the same in every step, so it runs once per step only while the
armed fault falls inside it; after that its (asserted) effect-free clean run is implied and the
fault index continues into the allowed apply. CRMCONF_FAULT_CAMPAIGN_EVERY=k runs every k-th step.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from crmconf.engine.apply import Report, apply_plan
from crmconf.engine.changes import Action, Change, Plan
from crmconf.engine.journal import Journal, read
from crmconf.engine.plan import make_plan
from crmconf.engine.resource import Snapshot
from crmconf.providers import opened
from crmconf.validation import require_valid
from tests.conftest import CLI
from tests.emulators.hubspot import HubSpotEmulator, Mutation
from tests.emulators.hubspot_files import files_of
from tests.providers.hubspot.conftest import SPEC_OWNERS, TARGET, TODAY, edit, failures, make_workspace

GENERATED = 200  # generated custom properties, on top of specs/ and its drift against the seeded portal
EVERY = int(os.environ.get("CRMCONF_FAULT_CAMPAIGN_EVERY", "1"))
HS_OBJECTS = {"deal": "deals", "contact": "contacts", "company": "companies", "ticket": "tickets"}
# Reads get the four transport failures in turn; writes alternate lost answers to performed requests
# (the hard case: did it happen?) with refusals HubSpot never processed.
READ_FAULTS = (("rate_limit", False), ("server_error", False), ("timeout", False), ("drop", False))
WRITE_FAULTS = (("timeout", True), ("rate_limit", False), ("drop", True), ("server_error", False),
                ("drop", False), ("timeout", False))
READ_POSTS = ("/search", "/batch/read", "/access-token-info")
# Properties specs/ does not name, archived through `prune: [field]`: the campaign's destructive changes.
TO_ARCHIVE = {"contacts": ("nps_score", "preferred_channel"), "tickets": ("product_area",)}
SALES_PIPELINE = """\
pipelines:
  - name: sales_pipeline
    object: deal
    label: Sales Pipeline
    owners: [sales]
    stages:
      - {name: appointment_scheduled, label: Appointment Scheduled, probability: 20}
      - {name: qualified_to_buy, label: Qualified To Buy, probability: 50}
      - {name: presentation_scheduled, label: Presentation Scheduled, probability: 60}
      - {name: decision_maker_bought_in, label: Decision Maker Bought-In, probability: 80}
      - {name: contract_sent, label: Contract Sent, probability: 90}
      - {name: closed_won, label: Closed Won, probability: 100, outcome: won}
      - {name: closed_lost, label: Closed Lost, probability: 0, outcome: lost}
"""


def generated_fields(count: int) -> str:
    kinds = ("text", "number", "picklist", "boolean", "date", "currency")
    per_object: dict[str, list[str]] = {obj: [] for obj in HS_OBJECTS}
    for i in range(count):
        obj = list(HS_OBJECTS)[i % len(HS_OBJECTS)]
        kind = kinds[i % len(kinds)]
        entry = f"    - {{name: gen_{i:03d}, label: Generated {i:03d}, type: {kind}"
        if kind == "picklist":
            entry += ", options: [{value: a, label: A}, {value: b, label: B}, {value: c, label: C}]"
        per_object[obj].append(entry + "}")
    return "fields:\n" + "".join(f"  {obj}:\n" + "\n".join(lines) + "\n" for obj, lines in per_object.items())


def campaign_workspace(root: Path, emu: HubSpotEmulator) -> Path:
    # Short timeouts keep a stalled request cheap; the emulator stalls a little longer than this.
    make_workspace(root, emu, timeout=0.25, retry={"base_delay": 0.001, "max_delay": 0.005, "max_attempts": 6})
    (root / "fields" / "generated.yaml").write_text(generated_fields(GENERATED))
    (root / "pipelines" / "sales.yaml").write_text(SALES_PIPELINE)  # the seeded pipeline; one probability moves
    edit(root / "fields" / "deal.yaml", "        - {value: renewal, label: Renewal}",
         "        - {value: renewal, label: Contract renewal}\n        - {value: upsell, label: Upsell}")
    edit(root / "automations.yaml", "    reviewed: 2026-09-01\n", "    reviewed: 2026-09-01\n    status: inactive\n")
    edit(root / "crmconf.yaml", "  prune: []", "  prune: [field]")
    return root


def reset(emu: HubSpotEmulator, root: Path) -> None:
    emu.reset()
    for email in SPEC_OWNERS:
        emu.add_user(email)
    shutil.rmtree(root / ".crmconf", ignore_errors=True)


def is_write(method: str, path: str) -> bool:
    return method != "GET" and not path.endswith(READ_POSTS)


# ---- what a plan's changes should touch in the portal ------------------------------------------------

def effect_key(change: Change, snapshot: Snapshot, plan: Plan) -> str:
    """The emulator's `Mutation` key (see tests/emulators/hubspot.py) a change's writes touch."""
    kind, address = change.kind, change.address
    attrs = change.after or {}
    if kind == "field":
        _, obj, name = address.split(".", 2)
        return f"property {HS_OBJECTS[obj]}/{change.meta.get('name') or name}"
    if kind == "pipeline":
        if change.action is Action.CREATE:
            return f"pipeline {HS_OBJECTS[str(attrs['object'])]}/{attrs['label']}"
        return f"pipeline {HS_OBJECTS[str(change.meta['object'])]}#{change.meta['id']}"
    if kind == "stage":
        if change.action is Action.CREATE:
            parent = next((c for c in plan.changes if c.address == change.parent), None)
            pipeline = parent.after if parent is not None and parent.after else snapshot.objects[str(change.parent)].attrs
            return f"stage {HS_OBJECTS[str(pipeline['object'])]}/{pipeline['label']}/{attrs['label']}"
        return f"stage {HS_OBJECTS[str(change.meta['object'])]}#{change.meta['id']}"
    if change.action is Action.CREATE:
        return f"flow [crmconf] {address.removeprefix('automation.')}"
    return f"flow #{change.meta.get('id') or address.removeprefix('automation.')}"


def touched(mutations: list[Mutation]) -> set[tuple[str, ...]]:
    """Each resource the writes changed, as its aliases; property groups (made on the way to a field),
    records (moved on the way to a stage delete) and crmconf's managed record (a file) are not changes."""
    return {aliases for m in mutations for aliases in m.touched
            if not aliases[0].startswith(("group ", "records ", "file "))}


def twice(mutations: list[Mutation]) -> list[str]:
    made = Counter(k for m in mutations for k in m.created)
    return sorted(f"{k} x{n}" for k, n in made.items() if n > 1)


def lock_files(emu: HubSpotEmulator) -> list[str]:
    return [f.path for f in files_of(emu.portal).by_id.values() if not f.archived and "-lock" in f.name]


def live_names(emu: HubSpotEmulator, obj: str) -> set[str]:
    return {p["name"] for p in emu.properties(obj)}


# ---- one step ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Fault:
    index: int
    kind: str
    applied_effect: bool
    request: tuple[str, str]

    def __str__(self) -> str:
        lost = " (performed, answer lost)" if self.applied_effect else ""
        return f"step {self.index}: {self.kind}{lost} on request {self.index} {' '.join(self.request)}"


def faults(sequence: list[tuple[str, str]]) -> Iterator[Fault]:
    reads = writes = 0
    for i, request in enumerate(sequence):
        if is_write(*request):
            kind, applied = WRITE_FAULTS[writes % len(WRITE_FAULTS)]
            writes += 1
        else:
            kind, applied = READ_FAULTS[reads % len(READ_FAULTS)]
            reads += 1
        yield Fault(i, kind, applied, request)


@dataclass
class Baseline:
    refused_requests: int  # requests of the refused apply, which come first in the sequence
    plan: Plan  # the plan both applies make (the portal is reset to the same state every step)
    snapshot: Snapshot
    keys: dict[str, str]  # address -> the emulator key its writes touch
    destructive: frozenset[str]  # keys the plan may destroy


def refused_apply(cli: CLI, emu: HubSpotEmulator, root: Path) -> list[str]:
    ran = cli("apply", "-w", root, "-t", TARGET, "--auto-approve")
    problems = []
    if ran.code != 1 or "destructive change(s); nothing was applied" not in ran.err:
        problems.append(f"apply without --allow-destroy was not refused (exit {ran.code}): {ran.err[-400:]}")
    # The apply lock is crmconf's own document (a private file): taken and released again, never the CRM.
    if crm := [m.path for m in emu.mutations() if not m.path.startswith("/files/")]:
        problems.append(f"the refused apply wrote: {crm}")
    if lock_files(emu):
        problems.append(f"the refused apply left its lock behind: {lock_files(emu)}")
    for obj, names in TO_ARCHIVE.items():
        if missing := set(names) - live_names(emu, obj):
            problems.append(f"archived without --allow-destroy: {obj} {sorted(missing)}")
    return problems


def journal_problems(root: Path, base: Baseline, effects: set[tuple[str, ...]], next_plan: set[str]) -> list[str]:
    records = read(root / ".crmconf" / "journal.jsonl")
    problems: list[str] = []
    begins = [r for r in records if r["event"] == "begin"]
    lines = [r for r in records if r["event"] == "change"]
    ends = [r for r in records if r["event"] == "end"]
    if len(begins) != 1 or len(ends) != 1:
        return [f"journal has {len(begins)} begin and {len(ends)} end records, expected one of each"]
    outcome = {r["address"]: r["outcome"] for r in lines}
    if begins[0]["changes"] != len(lines) or sorted(outcome) != sorted(c.address for c in base.plan.changes) \
            or len(outcome) != len(lines):
        problems.append(f"journal: begin says {begins[0]['changes']} changes, {len(lines)} change lines, "
                        f"{len(base.plan.changes)} planned")
    counted = Counter(r["outcome"] for r in lines)
    if {k: v for k, v in ends[0]["counts"].items() if v} != dict(counted):
        problems.append(f"journal end counts {ends[0]['counts']} != change lines {dict(counted)}")
    key_owner = {key: address for address, key in base.keys.items()}
    for aliases in sorted(effects):
        address = next((key_owner[k] for k in aliases if k in key_owner), None)
        if address is None:
            problems.append(f"the portal saw a write to {' = '.join(aliases)}, which no planned change names")
        elif outcome.get(address) not in ("applied", "failed"):
            problems.append(f"{aliases[0]} was written although {address} is journalled {outcome.get(address)}")
    written = {k for aliases in effects for k in aliases}
    for address, result in sorted(outcome.items()):
        key = base.keys.get(address, "")
        if result == "applied" and address in next_plan:
            problems.append(f"{address} is journalled applied but the next plan still changes it")
        if result == "applied" and key not in written and not _implied(address, base):
            problems.append(f"{address} is journalled applied but the portal saw no write to {key}")
        if result != "applied" and key not in written and address not in next_plan:
            problems.append(f"{address} ({result}, never written) is missing from the next plan")
    return problems


def _implied(address: str, base: Baseline) -> bool:
    """Stages of a pipeline created in the same change are written with it (its POST carries them)."""
    change = next(c for c in base.plan.changes if c.address == address)
    return change.kind == "stage" and any(c.address == change.parent and c.action is Action.CREATE
                                          for c in base.plan.changes)


def follow_up(root: Path) -> tuple[Plan, Report, Plan]:
    ws = require_valid(root, TODAY)
    with opened(ws.spec, ws.sources, root, TARGET) as (name, provider):
        plan, _, _ = make_plan(ws, name, provider)
        report = apply_plan(plan, provider, Journal(root / ".crmconf" / "follow-up.jsonl"))
        final, _, _ = make_plan(ws, name, provider)
    return plan, report, final


def allowed_step(cli: CLI, emu: HubSpotEmulator, root: Path, base: Baseline) -> list[str]:
    ran = cli("apply", "-w", root, "-t", TARGET, "--auto-approve", "--allow-destroy")
    problems = [] if ran.code in (0, 1) else [f"apply exited {ran.code}: {ran.err[-600:]}"]
    if emu.faults.pending():
        problems.append("the armed fault never fired: the request sequence changed")
    faulted = emu.mutations()
    effects = touched(faulted)
    destroyed = {a for m in faulted if m.method == "DELETE" or m.path.endswith("/batch/archive") for a in m.touched
                 if not a[0].startswith("file ")}  # the apply lock released: crmconf's own file, not the CRM
    if unlisted := {a for a in destroyed if not set(a) & base.destructive}:
        problems.append(f"destroyed without being planned as destructive: {sorted(unlisted)}")
    plan, report, final = follow_up(root)
    problems += journal_problems(root, base, effects, {c.address for c in plan.changes})
    if failures(report):
        problems.append(f"the follow-up apply failed: {failures(report)}")
    if final.changes:
        problems.append(f"no convergence, still planned: {[c.address for c in final.changes]}")
    if dup := twice(emu.mutations()):
        problems.append(f"created more than once: {dup}")
    if lock_files(emu):
        problems.append(f"the apply left its lock behind: {lock_files(emu)}")
    return problems


def baseline(cli: CLI, emu: HubSpotEmulator, root: Path) -> tuple[Baseline, list[tuple[str, str]]]:
    reset(emu, root)
    ws = require_valid(root, TODAY)
    with opened(ws.spec, ws.sources, root, TARGET) as (name, provider):
        plan, _, snapshot = make_plan(ws, name, provider)
    reset(emu, root)
    problems = refused_apply(cli, emu, root)
    assert not problems, problems
    refused = len(emu.sequence())
    ran = cli("apply", "-w", root, "-t", TARGET, "--auto-approve", "--allow-destroy")
    assert ran.code == 0, ran.err[-2000:]
    keys = {c.address: effect_key(c, snapshot, plan) for c in plan.changes}
    destructive = frozenset(keys[c.address] for c in plan.changes if c.destructive)
    return Baseline(refused, plan, snapshot, keys, destructive), emu.sequence()


def test_every_request_of_a_large_apply_faulted_in_turn(cli: CLI, emu: HubSpotEmulator, tmp_path: Path) -> None:
    emu.faults.timeout_stall_s = 0.3  # just past the workspace's 0.25 s timeout
    root = campaign_workspace(tmp_path / "ws", emu)
    base, sequence = baseline(cli, emu, root)
    kinds = Counter((c.kind, c.action.value) for c in base.plan.changes)
    assert len(base.plan.changes) >= 250 and base.destructive, kinds
    assert {("pipeline", "create"), ("stage", "update"), ("automation", "update"), ("field", "delete"),
            ("field", "update")} <= set(kinds), kinds
    assert sum(is_write(*r) for r in sequence) >= 25, sequence

    problems: list[str] = []
    steps = list(faults(sequence))
    for fault in steps[::EVERY]:
        reset(emu, root)
        if fault.index < base.refused_requests:
            emu.faults.inject(fault.kind, skip=fault.index, applied_effect=fault.applied_effect)
            found = refused_apply(cli, emu, root)
            if emu.faults.pending():
                found.append("the armed fault never fired: the request sequence changed")
        else:
            emu.faults.inject(fault.kind, skip=fault.index - base.refused_requests,
                              applied_effect=fault.applied_effect)
            found = allowed_step(cli, emu, root, base)
        problems += [f"{fault}: {p}" for p in found]
    assert not problems, f"{len(problems)} problem(s) in {len(steps[::EVERY])} steps:\n" + "\n".join(problems)
