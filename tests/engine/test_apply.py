"""The confirming read after an apply: its failure leaves the run unverified, and says why."""

from __future__ import annotations

from crmconf.engine.apply import Outcome, Report, Result, execution_order, verify_by_reading
from crmconf.engine.changes import Action, Change
from crmconf.engine.resource import LiveObject, Snapshot
from crmconf.errors import LimitExceededError

CHANGE = Change("field.deal.seats", "field", Action.CREATE, None, {"label": "Seats"})
APPLIED = Report((Result(CHANGE, Outcome.APPLIED),))


def test_a_read_that_shows_the_change_verifies_it() -> None:
    live = Snapshot({CHANGE.address: LiveObject(CHANGE.address, "field", {"label": "Seats"})}, frozenset({"field"}))
    report = verify_by_reading(APPLIED, lambda: live)
    assert report.verified and report.ok and not report.unread


def test_a_read_that_fails_leaves_the_apply_unverified_with_the_reason() -> None:
    def read() -> Snapshot:
        raise LimitExceededError("API limit: salesforce query: REQUEST_LIMIT_EXCEEDED")

    report = verify_by_reading(APPLIED, read)
    assert report.unread.startswith("API limit: salesforce query")
    assert not report.verified and not report.ok
    assert report.count(Outcome.APPLIED) == 1  # what was applied stays applied


def _change(address: str, kind: str, *depends_on: str, parent: str | None = None) -> Change:
    return Change(address, kind, Action.CREATE, None, {"label": address}, depends_on=depends_on, parent=parent)


def test_execution_runs_in_dependency_waves_with_like_kinds_together() -> None:
    plan = (  # in plan order: each pipeline's part together, as a reader wants it
        _change("pipeline.a.stage.x", "stage", parent="pipeline.a"),  # a process names existing values
        _change("pipeline.a", "pipeline", "pipeline.a.stage.x"),
        _change("pipeline.a.stage.x.rule", "validation_rule", "pipeline.a.stage.x", parent="pipeline.a"),
        _change("pipeline.b.stage.y", "stage", parent="pipeline.b"),
        _change("pipeline.b", "pipeline", "pipeline.b.stage.y"),
        _change("pipeline.c", "pipeline"),
        _change("pipeline.c.stage.z", "stage", parent="pipeline.c"),  # a stage created inside its pipeline
        _change("field.deal.seats", "field"),
        Change("field.deal.old", "field", Action.DELETE, {"label": "Old"}, None),
    )
    order = [c.address for c in execution_order(plan)]
    assert order == ["pipeline.a.stage.x", "pipeline.b.stage.y", "pipeline.c", "field.deal.seats",  # wave 0
                     "pipeline.c.stage.z", "pipeline.a", "pipeline.b",  # wave 1, kinds in order of first sight
                     "pipeline.a.stage.x.rule", "field.deal.old"]
    position = {a: i for i, a in enumerate(order)}
    original = {c.address: i for i, c in enumerate(plan)}
    for change in plan:  # whatever ran first among related changes in the plan still runs first
        for d in (*change.depends_on, change.parent or ""):
            if d in original and original[d] < original[change.address]:
                assert position[d] < position[change.address], (d, change.address)


def test_the_confirming_read_reads_what_the_applied_changes_touch_and_what_reading_them_needs() -> None:
    from crmconf_hubspot import HubSpotProvider
    from crmconf_local import LocalProvider
    from crmconf_salesforce import SalesforceProvider

    from crmconf.engine.apply import reread, reread_kinds

    def applied(*kinds: str, failed: str = "") -> Report:
        results = [Result(_change(f"{k}.x", k), Outcome.APPLIED) for k in kinds]
        return Report((*results, *([Result(_change(f"{failed}.y", failed), Outcome.FAILED)] if failed else [])))

    cases = [
        (HubSpotProvider, applied("field"), {"field"}),
        (HubSpotProvider, applied("stage"), {"stage", "pipeline"}),
        (HubSpotProvider, applied("automation"), {"automation", "pipeline", "stage", "field"}),
        (SalesforceProvider, applied("validation_rule"), {"validation_rule", "pipeline", "stage"}),
        (SalesforceProvider, applied("field", "permission"), {"field", "permission"}),
        (LocalProvider, applied("stage", failed="field"), {"stage"}),  # a failed change is not re-read
        (HubSpotProvider, applied(failed="field"), set()),
    ]
    for provider, report, kinds in cases:
        assert reread_kinds(report, provider) == kinds, (provider.name, kinds)  # type: ignore[arg-type]

    class Unread:
        """Nothing was applied: nothing is read, and nothing is unverified."""

        def fetch(self, kinds: frozenset[str]) -> Snapshot:
            raise AssertionError(f"read {kinds}")

    nothing = applied(failed="field")
    assert reread(nothing, Unread()) == nothing  # type: ignore[arg-type]
