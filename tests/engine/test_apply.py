"""The confirming read after an apply: its failure leaves the run unverified, and says why."""

from __future__ import annotations

from crmconf.engine.apply import Outcome, Report, Result, verify_by_reading
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
