"""The vendor SDKs are extras (`crmconf[salesforce]`, `crmconf[hubspot]`): what to say when one is missing.

validate, the local provider and the council commands need neither SDK, so a RevOps laptop that only
validates installs neither. A provider whose SDK is absent fails to import; the message then names the
extra to install, with its pin read from crmconf's own metadata (pyproject.toml is the one place it is
written).
"""

from __future__ import annotations

import re
from importlib import metadata

# provider -> (the SDK's import name, the extra that installs it)
SDKS = {"salesforce": ("simple_salesforce", "salesforce"), "hubspot": ("hubspot", "hubspot")}


def requirement(extra: str) -> str:
    """The SDK requirement the extra installs ("hubspot-api-client~=12.0"), from the installed metadata."""
    try:
        lines = metadata.requires("crmconf") or []
    except metadata.PackageNotFoundError:
        return f"crmconf[{extra}]"
    for line in lines:
        spec, _, marker = line.partition(";")
        if re.search(rf"""extra\s*==\s*["']{re.escape(extra)}["']""", marker):
            return spec.strip()
    return f"crmconf[{extra}]"


def missing_sdk(provider: str, exc: BaseException) -> str | None:
    """What to install when `exc` (raised importing `provider`) is its vendor SDK missing; None otherwise."""
    sdk = SDKS.get(provider)
    if sdk is None or not isinstance(exc, ModuleNotFoundError) or (exc.name or "").split(".")[0] != sdk[0]:
        return None
    extra = sdk[1]
    req = requirement(extra)
    return (f"the {provider} provider needs its vendor SDK, {req} (the extra crmconf[{extra}]), which is not "
            f'installed: add it where crmconf is installed (pip install "{req}", or pipx inject crmconf "{req}"), '
            f'or reinstall crmconf from its clone with the extra (pipx install --force ".[{extra}]", '
            f'uv tool install --force ".[{extra}]")')
