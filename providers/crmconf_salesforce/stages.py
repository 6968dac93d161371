"""Stage values, processes and the records in them: the part of apply where Salesforce is least forgiving.

- A standard value set (OpportunityStage, CaseStatus, LeadStatus) is written whole: an update
  replaces the list and deactivates whatever it leaves out. So a batch of stage changes reads the
  set once, edits the values it names, keeps every other value exactly as it was (active or not,
  whatever process uses it) and writes the set once.
- A process (BusinessProcess + its RecordType) may only list active values, so pipelines depend on
  their stages; its record type's other settings are read and kept.
- Records move before a stage leaves a process: when the pipeline drops the stage (before any new
  validation rule can refuse the move) and again, for stragglers, when the stage itself is retired.
- A retired value is deactivated only when no process lists it and no record holds it any more;
  otherwise it stays active for whoever still uses it (Salesforce never deletes standard values).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from crmconf import address as addr
from crmconf.engine.changes import Action, Change
from crmconf.errors import AuthError, LimitExceededError, ProviderError
from crmconf_salesforce import ordering
from crmconf_salesforce.client import SalesforceClient, WriteResult, by_name
from crmconf_salesforce.compile import State
from crmconf_salesforce.flows import clean
from crmconf_salesforce.mapping import (
    FAMILIES,
    FORECAST_CATEGORIES,
    VALUE_SET_FAMILY,
    Family,
    default_forecast,
    default_probability,
    snake,
    title_name,
)

Result = ProviderError | None


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _family_of_pipeline(change: Change) -> Family:
    obj = (change.after or change.before or {}).get("object")
    return next(f for f in FAMILIES.values() if f.spec_object == obj)


class Stages:
    def __init__(self, client: SalesforceClient, state: Callable[[], State | None]) -> None:
        self.client = client
        self.state = state

    # --- stage values ----------------------------------------------------------------------------

    def upsert(self, changes: list[Change]) -> list[Result]:
        by_set: dict[str, list[Change]] = {}
        for c in changes:
            by_set.setdefault(str((c.after or {})["value_set"]), []).append(c)
        names = list(by_set)
        current = self.client.md_read("StandardValueSet", names)
        comps = []
        for name, live in zip(names, current, strict=True):
            values = [clean(v) for v in (live or {}).get("standardValue") or []]
            for change in by_set[name]:
                self._set_value(values, change, VALUE_SET_FAMILY[name])
            comps.append({"fullName": name, "sorted": bool((live or {}).get("sorted")), "standardValue": values})
        results = by_name(self.client.md_write("upsertMetadata", "StandardValueSet", comps), names)
        out: list[Result] = []
        for c in changes:
            r = results.get(str((c.after or {})["value_set"]).lower())
            out.append(None if r and r.ok else ProviderError(
                r.message if r else "no result", context=f"salesforce write {(c.after or {})['value_set']} for {c.address}"))
        return out

    def _set_value(self, values: list[dict[str, Any]], change: Change, family: Family) -> None:
        after = change.after or {}
        api = str(change.meta.get("full_name") or change.label)
        value = next((v for v in values if str(v["fullName"]).lower() == api.lower()), None)
        if value is None:
            value = {"fullName": api, "label": api, "default": False}
            values.insert(self._position(values, change, api), value)
        value["isActive"] = after.get("active", True) is not False
        outcome = after.get("outcome")
        if family.sobject == "Opportunity":
            if "probability" in after:
                probability = after["probability"]
            else:
                probability = value.get("probability", default_probability(outcome))
            # Always sent: Salesforce keeps a value's forecast category as written, whatever its new
            # probability, so a category left out would silently stay what it was.
            category = after.get("forecast_category") or default_forecast(outcome)
            value.update(probability=probability, closed=outcome in ("won", "lost"), won=outcome == "won",
                         forecastCategory=FORECAST_CATEGORIES[str(category)])
        elif family.sobject == "Case":
            value["closed"] = outcome == "closed"
        else:
            value["converted"] = outcome == "closed"

    def _position(self, values: list[dict[str, Any]], change: Change, api: str) -> int:
        """Where a new value goes: after its predecessor in its pipeline, else before its successor,
        else before the first closed value (open stages) or at the end (closed ones)."""
        state = self.state()
        order = state.stage_order.get(change.parent or "", []) if state else []
        index = {str(v["fullName"]).lower(): i for i, v in enumerate(values)}
        if api in order:
            i = order.index(api)
            for before in reversed(order[:i]):
                if before.lower() in index:
                    return index[before.lower()] + 1
            for after in order[i + 1 :]:
                if after.lower() in index:
                    return index[after.lower()]
        if (change.after or {}).get("outcome") is None:
            return next((i for i, v in enumerate(values) if v.get("closed") or v.get("converted")), len(values))
        return len(values)

    # --- processes -------------------------------------------------------------------------------

    def upsert_pipelines(self, changes: list[Change]) -> list[Result]:
        out: dict[str, Result] = {}
        for c in changes:
            if c.action is Action.UPDATE:
                try:
                    self._move_dropped(c)
                except (LimitExceededError, AuthError):
                    raise
                except ProviderError as err:
                    out[c.address] = err
        ready = [c for c in changes if c.address not in out]
        if not ready:
            return [out[c.address] for c in changes]
        bp_names, rt_names = [], []
        for c in ready:
            family = _family_of_pipeline(c)
            bp = str(c.meta.get("full_name") or f"{family.sobject}.{title_name(addr.name_of(c.address))}")
            bp_names.append(bp)
            rt_names.append(str(c.meta.get("record_type") or bp))
        live_bp = self.client.md_read("BusinessProcess", [b for c, b in zip(ready, bp_names, strict=True) if c.action is Action.UPDATE])
        live_bps = {str(b["fullName"]).lower(): b for b in live_bp if b}
        live_rt = self.client.md_read("RecordType", [r for c, r in zip(ready, rt_names, strict=True) if c.meta.get("record_type")])
        live_rts = {str(r["fullName"]).lower(): r for r in live_rt if r}
        bps, rts = [], []
        for c, bp, rt in zip(ready, bp_names, rt_names, strict=True):
            after = c.after or {}
            comp = clean(dict(live_bps.get(bp.lower(), {})))
            comp.update(fullName=bp, isActive=True,
                        values=[{"fullName": v, "default": i == 0} for i, v in enumerate(after["stages"])])
            if "description" in after:
                comp["description"] = after["description"]
            bps.append(clean(comp))
            record_type = clean(dict(live_rts.get(rt.lower(), {})))
            record_type.update(fullName=rt, label=after["label"], active=True, businessProcess=bp.partition(".")[2])
            if "description" in after:
                record_type["description"] = after["description"]
            rts.append(clean(record_type))
        bp_results = by_name(self.client.md_write("upsertMetadata", "BusinessProcess", bps), bp_names)
        ok = [(c, rt) for c, bp, rt in zip(ready, bp_names, rts, strict=True) if _ok(bp_results.get(bp.lower()))]
        rt_results = by_name(self.client.md_write("upsertMetadata", "RecordType", [rt for _, rt in ok]),
                             [str(rt["fullName"]) for _, rt in ok]) if ok else {}
        for c, bp, rt in zip(ready, bp_names, rt_names, strict=True):
            b, r = bp_results.get(bp.lower()), rt_results.get(rt.lower())
            if not _ok(b):
                out[c.address] = ProviderError(b.message if b else "no result", context=f"salesforce write process {bp}")
            elif not _ok(r):
                out[c.address] = ProviderError(r.message if r else "no result", context=f"salesforce write record type {rt}")
            else:
                out[c.address] = None
        ordered = [c for c in ready if out[c.address] is None and any(a.name == "stages" for a in c.attrs)]
        if ordered:
            out.update(self._reorder(ordered))
        return [out[c.address] for c in changes]

    def _reorder(self, changes: list[Change]) -> dict[str, Result]:
        """Put the value sets of these pipelines in the spec's stage order (State.value_order).

        A process does not order its values: records show them in the value set's order, which is
        one for every process. Only values the spec's pipelines name move, among the places they
        already hold; the set is read and written once, and only when the order differs.
        """
        state = self.state()
        if state is None:
            return {}
        sets = sorted({_family_of_pipeline(c).value_set for c in changes} & set(state.value_order))
        if not sets:
            return {}
        comps: list[dict[str, Any]] = []
        for name, live in zip(sets, self.client.md_read("StandardValueSet", sets), strict=True):
            values = [clean(v) for v in (live or {}).get("standardValue") or []]
            names = [str(v["fullName"]) for v in values]
            wanted = ordering.arrange(names, state.value_order[name])
            if wanted != names:
                keyed = {str(v["fullName"]): v for v in values}
                comps.append({"fullName": name, "sorted": False, "standardValue": [keyed[n] for n in wanted]})
        if not comps:
            return {}
        results = by_name(self.client.md_write("upsertMetadata", "StandardValueSet", comps),
                          [str(c["fullName"]) for c in comps])
        out: dict[str, Result] = {}
        for c in changes:
            r = results.get(_family_of_pipeline(c).value_set.lower())
            if r is not None and not r.ok:
                out[c.address] = ProviderError(r.message, context=f"salesforce order the stages of {c.address}")
        return out

    def refuse_pipeline(self, changes: list[Change]) -> list[Result]:
        return [ProviderError(
            "crmconf does not delete or rebuild Salesforce processes (records and profiles hang on them): deactivate "
            "its record type and sales process in Setup", context=f"salesforce {c.address}") for c in changes]

    def _move_dropped(self, change: Change) -> None:
        """Move the records of stages this update drops to their migrate_to stage, while the process still lists them."""
        state = self.state()
        if state is None:
            return
        family = _family_of_pipeline(change)
        kept = {str(v).lower() for v in (change.after or {}).get("stages", [])}
        rt_ids = list(change.meta.get("record_type_ids") or [])
        for retired, target in state.migrations.get(change.address, {}).items():
            target_value = state.stage_values.get(target)
            dropped = [v for v in (change.before or {}).get("stages", []) if str(v).lower() not in kept
                       and _stage_address(change.address, str(v), state) == retired]
            for value in dropped:
                if target_value:
                    self.move(family, str(value), target_value, rt_ids, change.address)

    # --- records ---------------------------------------------------------------------------------

    def move(self, family: Family, value: str, target: str | None, rt_ids: list[str], what: str) -> int:
        """Move a process's records from one value to another; every failure is reported, none hidden."""
        if not rt_ids:
            return 0
        ids = ", ".join(_literal(i) for i in rt_ids)
        rows = self.client.query(f"SELECT Id FROM {family.sobject} WHERE {family.field} = {_literal(value)} "
                                 f"AND RecordTypeId IN ({ids})")
        if not rows:
            return 0
        if not target:
            raise ProviderError(f"{len(rows)} record(s) still sit at {value!r} and the spec names no stage to move "
                                "them to (migrate_to)", context=f"salesforce {what}")
        results = self.client.update_records(
            [{"attributes": {"type": family.sobject}, "id": r["Id"], family.field: target} for r in rows])
        failed = [r for r in results if not r.get("success")]
        if failed:
            first = (failed[0].get("errors") or [{}])[0]
            raise ProviderError(
                f"{len(failed)} of {len(rows)} record(s) could not move from {value!r} to {target!r} "
                f"(first: {first.get('statusCode')}: {first.get('message')}); the others moved",
                context=f"salesforce {what}")
        return len(rows)

    # --- retiring stages -------------------------------------------------------------------------

    def retire(self, changes: list[Change]) -> list[Result]:
        state = self.state()
        out: list[Result] = []
        retired: list[tuple[Change, Family, str]] = []
        for c in changes:
            family = VALUE_SET_FAMILY[str(c.meta.get("value_set") or (c.before or {}).get("value_set"))]
            value = str(c.meta.get("full_name") or c.label)
            target = state.stage_values.get(c.migrate_to or "") if state and c.migrate_to else None
            try:
                self.move(family, value, target, list(c.meta.get("record_type_ids") or []), c.address)
                out.append(None)
                retired.append((c, family, value))
            except (LimitExceededError, AuthError):
                raise
            except ProviderError as err:
                out.append(err)
        self._deactivate_unused(retired)
        return out

    def _deactivate_unused(self, retired: list[tuple[Change, Family, str]]) -> None:
        if not retired:
            return
        families = {f.sobject: f for _, f, _ in retired}
        in_use: set[tuple[str, str]] = set()
        for sobject in families:
            rows = self.client.query(f"SELECT Name FROM BusinessProcess WHERE TableEnumOrId = {_literal(sobject)}")
            names = [f"{sobject}.{r['Name']}" for r in rows]
            for bp in self.client.md_read("BusinessProcess", names):  # values come back URL-encoded
                in_use.update((sobject, unquote(str(v["fullName"])).lower()) for v in (bp or {}).get("values") or [])
        unused: dict[str, set[str]] = {}
        for _, family, value in retired:
            if (family.sobject, value.lower()) in in_use:
                continue
            if self.client.count(f"SELECT COUNT() FROM {family.sobject} WHERE {family.field} = {_literal(value)}"):
                continue  # records outside any process still hold it: leave it active for them
            unused.setdefault(family.value_set, set()).add(value.lower())
        if not unused:
            return
        names = sorted(unused)
        comps = []
        for name, live in zip(names, self.client.md_read("StandardValueSet", names), strict=True):
            values = [clean(v) for v in (live or {}).get("standardValue") or []]
            for v in values:
                if str(v["fullName"]).lower() in unused[name]:
                    v.update(isActive=False, default=False)
            comps.append({"fullName": name, "sorted": bool((live or {}).get("sorted")), "standardValue": values})
        for r in self.client.md_write("upsertMetadata", "StandardValueSet", comps):
            if not r.ok:
                raise ProviderError(r.message, context=f"salesforce deactivate retired values in {r.full_name}")


def _ok(result: WriteResult | None) -> bool:
    return result is not None and result.ok


def _stage_address(pipeline: str, value: str, state: State) -> str:
    """The address fetch gives a live value of this pipeline (spec name by label, else derived)."""
    name = state.stage_names.get(addr.name_of(pipeline), {}).get(value.lower()) or snake(value)
    return addr.child(pipeline, "stage", name)

