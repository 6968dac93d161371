"""A realistic, seeded record population with the data-quality faults `crmconf health` looks for.

Vendor-neutral (spec names): the local org, the Salesforce emulator and the HubSpot emulator are each
seeded from the same population (tests/health/seeding.py), and tests/health/oracle.py computes what
every KPI must say about it by plain counting, so each provider's figures can be compared exactly.

The faults, at the rates `Faults` sets: a required field left blank in a stage that requires it,
open deals left in a stage past the pipeline's stale rule, picklist values outside the agreed list,
no lead source, no owner or an owner who left, a contact e-mail or company domain typed again (in
another case), and reps who log little activity. Dates avoid the exact stale cutoff, so no figure
depends on a rounding.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from crmconf.health.kpis import Context
from crmconf.health.stages import stale_after
from crmconf.spec.model import FieldSpec, Pipeline, Spec
from crmconf.spec.standard import STANDARD_FIELDS

REPS = ("maria.lopez@acme.example", "devon.price@acme.example", "sam.okafor@acme.example",
        "lena.fischer@acme.example", "priya@acme.example", "tomas@acme.example")
LEFT = "former.rep@acme.example"  # a user who left: deactivated, still owning records
ACTIVITY_TYPES = ("call", "email", "meeting", "task", "note")
OFF_LIST = ("Trade show 2019", "LEGACY", "webinar_old")  # values an old import or a deleted option left behind


@dataclass(frozen=True)
class Faults:
    missing_required: float = 0.2
    stale: float = 0.3
    off_list: float = 0.06
    no_lead_source: float = 0.12
    no_owner: float = 0.04
    left_owner: float = 0.05
    duplicate: float = 0.06
    # Fields a vendor never leaves empty ("deal.close_date": Salesforce requires CloseDate): never blanked.
    never_blank: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Record:
    object: str
    id: str
    owner: str | None
    created_at: datetime
    values: dict[str, Any]
    pipeline: str | None = None
    stage: str | None = None
    stage_entered_at: datetime | None = None


@dataclass
class Population:
    now: datetime
    users: dict[str, bool]  # e-mail -> active
    records: list[Record] = field(default_factory=list)

    def of(self, obj: str) -> Iterator[Record]:
        return (r for r in self.records if r.object == obj)


@dataclass
class _Gen:
    spec: Spec
    now: datetime
    rng: random.Random
    faults: Faults
    counter: int = 0
    keys: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def next_id(self, obj: str) -> str:
        self.counter += 1
        return f"{obj}-{self.counter:06d}"

    reps: tuple[str, ...] = REPS

    def owner(self) -> str | None:
        roll = self.rng.random()
        if roll < self.faults.no_owner:
            return None
        if roll < self.faults.no_owner + self.faults.left_owner:
            return LEFT
        return self.rng.choice(self.reps)

    def fields(self, obj: str) -> dict[str, str]:
        """Every field a record of `obj` carries: the spec's, and the standard ones health reads."""
        types = {f.name: f.type for f in self.spec.fields.get(obj, ())}  # type: ignore[call-overload]
        wanted = {"name", "email", "domain", "close_date", "amount", "subject", "priority", "description",
                  "job_title", "phone", "lead_source"}
        for name, kind in STANDARD_FIELDS.get(obj, {}).items():
            if name in wanted and name not in types and name not in ("owner", "stage", "pipeline"):
                types[name] = kind
        return types

    def value(self, obj: str, name: str, kind: str) -> Any:
        spec_field: FieldSpec | None = self.spec.field(obj, name)
        options = [o.value for o in spec_field.options or ()] if spec_field is not None else []
        r = self.rng
        if kind == "picklist":
            if options and r.random() < self.faults.off_list:
                return r.choice(OFF_LIST)
            return r.choice(options) if options else r.choice(["High", "Medium", "Low"])
        if kind == "multipicklist":
            return sorted(r.sample(options, k=r.randint(1, min(2, len(options)))))
        if kind == "boolean":
            return True
        if kind in ("number", "currency", "percent"):
            return r.randint(1, 500) * 100
        if kind == "date":
            return (self.now - timedelta(days=r.randint(0, 400))).date().isoformat()
        if kind == "datetime":
            return (self.now - timedelta(days=r.randint(0, 400))).isoformat(timespec="seconds")
        if kind == "email":
            return self.key(obj, name, f"person{r.randint(1, 10**9)}@customer{r.randint(1, 999)}.example")
        if kind == "url":
            if name == "domain":
                return self.key(obj, name, f"customer{r.randint(1, 10**9)}.example")
            return f"https://docs.acme.example/{r.randint(1, 10**6)}"
        if kind == "phone":
            return f"+1415555{r.randint(0, 9999):04d}"
        if name == "account_number":
            return self.key(obj, name, f"AC-{r.randint(1, 10**8):08d}")
        return f"{name.replace('_', ' ')} {r.randint(1, 10**6)}"

    def key(self, obj: str, name: str, fresh: str) -> str:
        """A dedup key: now and then one typed before, in another case."""
        seen = self.keys.setdefault((obj, name), [])
        if seen and self.rng.random() < self.faults.duplicate:
            return self.rng.choice(seen).upper()
        seen.append(fresh)
        return fresh

    def record(self, obj: str, pipeline: Pipeline | None) -> Record:
        r = self.rng
        owner = self.owner()
        values = {name: self.value(obj, name, kind) for name, kind in self.fields(obj).items()}
        kept = {"name", "lead_source"} | {ref.split(".", 1)[1] for ref in self.faults.never_blank
                                           if ref.startswith(f"{obj}.")}
        values.update({n: None for n in values if r.random() < 0.15 and n not in kept})
        if "lead_source" in values:
            missing = r.random() < self.faults.no_lead_source
            values["lead_source"] = None if missing else self.value(obj, "lead_source", "picklist")
        stage_name, entered = None, None
        if pipeline is not None:
            stage = r.choice(pipeline.stages)
            stage_name = stage.name
            for name in stage.require:  # filled, unless this record is one that skipped a required field
                if name != "owner" and values.get(name) in (None, False):
                    values[name] = self.value(obj, name, self.fields(obj).get(name, "text"))
            # A vendor that always has an owner (Salesforce) cannot leave `owner` blank.
            skippable = [f for f in stage.require if (f != "owner" or self.faults.no_owner > 0)
                         and f"{obj}.{f}" not in self.faults.never_blank]
            if skippable and r.random() < self.faults.missing_required:
                skipped = r.choice(skippable)
                if skipped == "owner":
                    owner = None
                else:
                    values[skipped] = False if self.fields(obj).get(skipped) == "boolean" else None
            entered = self.entered(pipeline, stage.outcome is None)
        created = (entered or self.now) - timedelta(days=r.randint(0, 90), minutes=r.randint(1, 600))
        return Record(obj, self.next_id(obj), owner, created, values, pipeline.name if pipeline else None,
                      stage_name, entered)

    def entered(self, pipeline: Pipeline, open_stage: bool) -> datetime:
        """When a deal entered its stage: past the stale rule for some open deals, well inside it for others."""
        after = stale_after(Context(self.spec, self.now), pipeline) if pipeline.object == "deal" else timedelta(14)
        if open_stage and self.rng.random() < self.faults.stale:
            return self.now - after - timedelta(days=self.rng.randint(1, 40), minutes=self.rng.randint(1, 600))
        return self.now - timedelta(minutes=self.rng.randint(60, int(after.total_seconds() // 60) - 60 * 24))

    def activities(self) -> Iterator[Record]:
        """Per rep a steady habit: some log plenty, some little; older activity falls outside the window."""
        for i, rep in enumerate((*self.reps, LEFT)):
            recent = (i * 3) % 11  # 0, 3, 6, 9, 1, 4, 7: different for every rep
            older = self.rng.randint(2, 9)
            for n in range(recent + older):
                days_ago = self.rng.uniform(0.05, 6.9) if n < recent else self.rng.uniform(7.1, 40)
                at = self.now - timedelta(days=days_ago)
                kind = ACTIVITY_TYPES[n % len(ACTIVITY_TYPES)]
                yield Record("activity", self.next_id("activity"), rep, at, {"type": kind})


def reps(n: int) -> tuple[str, ...]:
    """`n` rep e-mails: the spec's owners first, then rep07@... (for larger teams, as the benchmark has)."""
    return (*REPS[:n], *(f"rep{i:02d}@acme.example" for i in range(len(REPS) + 1, n + 1)))


def generate(spec: Spec, now: datetime, *, deals: int = 240, contacts: int = 200, companies: int = 60,
             tickets: int = 80, seed: int = 16, faults: Faults = Faults(), owners: int = len(REPS)) -> Population:
    gen = _Gen(spec, now, random.Random(seed), faults, reps=reps(owners))
    population = Population(now, {**dict.fromkeys(gen.reps, True), LEFT: False})
    sizes = {"deal": deals, "contact": contacts, "company": companies, "ticket": tickets}
    for obj, n in sizes.items():
        pipelines = [p for p in spec.pipelines if p.object == obj]
        for i in range(n):
            pipeline = pipelines[i % len(pipelines)] if pipelines else None
            population.records.append(gen.record(obj, pipeline))
    population.records.extend(gen.activities())
    return population
