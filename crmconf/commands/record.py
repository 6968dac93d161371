"""What every apply does last: write the managed record of the target (crmconf.engine.managed)."""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from datetime import UTC, datetime

from crmconf.engine import managed, tracking
from crmconf.engine.changes import Change, Plan
from crmconf.engine.resource import Compiled
from crmconf.engine.state import store_for
from crmconf.errors import CrmconfError, StalePlanError
from crmconf.providers import Provider
from crmconf.ui import Console
from crmconf.validation import Validated


def assert_same_record(saved: Plan, now: Plan) -> None:
    """A saved plan's deletes and forgets rest on the record it read: refuse it once the record moved."""
    if saved.membership is None or now.membership is None:
        return
    if saved.membership.serial != now.membership.serial:
        raise StalePlanError(
            f"the managed record in {now.membership.location} changed since the plan was made "
            f"(version {saved.membership.serial}, now {now.membership.serial}); run `crmconf plan` again"
        )


def write(
    ws: Validated,
    plan: Plan,
    provider: Provider,
    compiled: Compiled,
    applied: Iterable[Change],
    console: Console,
) -> bool:
    """Record what crmconf now manages; False (and a message) when the record could not be written."""
    if plan.membership is None:
        return True
    store = store_for(provider, ws.root, plan.target)
    try:
        old = managed.read(store, plan.target)
        done = [(c.address, c.kind, c.action.value) for c in applied]
        new = managed.after_apply(
            old,
            plan.membership,
            applied=done,
            owned=tracking.owned(ws.spec, provider.name, compiled.resources),
            digest=ws.digest,
            when=datetime.now(UTC).isoformat(timespec="seconds"),
            who=_user(),
        )
        if not done and new.entries == old.entries and old.serial:
            return True  # nothing applied and nothing to record: leave the record as it is
        managed.write(store, new)
    except CrmconfError as exc:
        console.err(
            f"error: the managed record in {store.location} could not be written ({exc}). "
            "What was applied stands (see the journal); the next apply writes the record."
        )
        return False
    created = sum(e.how == managed.CREATED for e in new.entries.values())
    where = store.location + (
        "" if store.shared else f" (provider {provider.name} offers no place in the CRM)"
    )
    console.err(
        f"Managed record: crmconf manages {len(new.entries)} object(s) on {plan.target} "
        f"({created} created by crmconf, {len(new.entries) - created} adopted); kept in {where}."
    )
    return True


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
