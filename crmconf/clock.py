"""Today's date, overridable with CRMCONF_TODAY=YYYY-MM-DD for reproducible runs and tests."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

from crmconf.errors import UsageError


def today() -> date:
    value = os.environ.get("CRMCONF_TODAY")
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"CRMCONF_TODAY={value!r} is not a date (YYYY-MM-DD)") from exc


def now() -> datetime:
    """This moment (UTC), overridable with CRMCONF_NOW=YYYY-MM-DDTHH:MM[:SS][+HH:MM] (health runs and tests)."""
    value = os.environ.get("CRMCONF_NOW")
    if not value:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"CRMCONF_NOW={value!r} is not a date and time (YYYY-MM-DDTHH:MM, UTC unless said)") from exc
    return at if at.tzinfo else at.replace(tzinfo=UTC)
