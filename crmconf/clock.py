"""Today's date, overridable with CRMCONF_TODAY=YYYY-MM-DD for reproducible runs and tests."""

from __future__ import annotations

import os
from datetime import date

from crmconf.errors import UsageError


def today() -> date:
    value = os.environ.get("CRMCONF_TODAY")
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"CRMCONF_TODAY={value!r} is not a date (YYYY-MM-DD)") from exc
