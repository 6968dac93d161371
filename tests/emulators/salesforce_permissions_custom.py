"""Custom permissions: what refers to them must name one that exists (RULES-salesforce.md, "Custom
permissions and pilots").

- a permission set's `customPermissions` entry names a CustomPermission of the org (Metadata API
  PermissionSetCustomPermissions: `name`, `enabled`): a deploy naming an unknown one is refused whole;
- a flow reads a custom permission of the running user as `$Permission.<Name>` in a condition; a flow
  naming one the org does not have fails to deploy.

The refusal codes are the Metadata API's usual ones (INVALID_CROSS_REFERENCE_KEY, FIELD_INTEGRITY_EXCEPTION,
DELETE_FAILED); their wording is the emulator's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.emulators.salesforce_org import Org

Err = tuple[str, str, list[str]]  # statusCode, message, fields (as salesforce_mdtypes)

PREFIX = "$Permission."


def exists(org: Org, name: str) -> bool:
    return org.get("CustomPermission", name) is not None


def permission_set_errors(org: Org, comp: dict[str, Any]) -> list[Err]:
    """(code, message, field) for each customPermissions entry naming no CustomPermission."""
    return [("INVALID_CROSS_REFERENCE_KEY", f"In field: customPermissions - no CustomPermission named {cp.get('name')} "
             "found", ["customPermissions"])
            for cp in comp.get("customPermissions") or [] if not exists(org, str(cp.get("name") or ""))]


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _references(v)
    elif isinstance(value, list):
        for v in value:
            yield from _references(v)
    elif isinstance(value, str) and value.startswith(PREFIX):
        yield value[len(PREFIX):]
    elif isinstance(value, str) and "{!" + PREFIX in value:  # inside a formula
        for part in value.split("{!" + PREFIX)[1:]:
            yield part.split("}")[0]


def flow_errors(org: Org, comp: dict[str, Any]) -> list[Err]:
    """A flow naming `$Permission.X` for an X the org does not have."""
    return [("FIELD_INTEGRITY_EXCEPTION", f"The flow references $Permission.{name}, which doesn't exist.", ["decisions"])
            for name in sorted(set(_references(comp))) if not exists(org, name)]
