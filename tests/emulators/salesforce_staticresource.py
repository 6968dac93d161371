"""StaticResource in the emulated Metadata API: where crmconf keeps its managed record in an org.

The rules a configuration tool meets, each from the StaticResource reference ([docs] Metadata API
`StaticResource`, object reference `StaticResource`) or the WSDL bundled with simple-salesforce [wsdl];
they are listed in tests/emulators/RULES-salesforce.md under "Managed record storage":

- the name: letters, digits and single underscores, starting with a letter, not ending with `_` [docs];
- `cacheControl` is required and is `Private` or `Public` [wsdl][docs];
- `contentType` is required [wsdl], at most 120 characters [docs]; `description` at most 255 [docs];
- `content` is base64Binary [wsdl]: anything that does not decode is refused;
- createMetadata adds a new component and refuses a name that exists (DUPLICATE_DEVELOPER_NAME), the
  same as for every other type; upsertMetadata creates or replaces [docs].
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from tests.emulators.salesforce_mdtypes import KINDS, Err, Kind, _err
from tests.emulators.salesforce_org import Org
from tests.emulators.salesforce_xsd import schema

MAX_CONTENT_TYPE, MAX_DESCRIPTION = 120, 255


class StaticResourceKind(Kind):
    type_name = "StaticResource"
    directory = "staticresources"
    suffix = "resource"

    def validate(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> list[Err]:
        errors: list[Err] = []
        allowed = schema().enum("StaticResourceCacheControl")
        if comp.get("cacheControl") not in allowed:
            errors.append(_err("INVALID_FIELD", f"cacheControl must be one of {', '.join(allowed)}", "cacheControl"))
        if len(str(comp.get("contentType") or "")) > MAX_CONTENT_TYPE:
            errors.append(_err("STRING_TOO_LONG", f"Mime Type: data value too large (max length={MAX_CONTENT_TYPE})", "contentType"))
        if len(str(comp.get("description") or "")) > MAX_DESCRIPTION:
            errors.append(_err("STRING_TOO_LONG", f"Description: data value too large (max length={MAX_DESCRIPTION})", "description"))
        try:
            base64.b64decode(str(comp.get("content") or ""), validate=True)
        except (binascii.Error, ValueError):
            errors.append(_err("INVALID_FIELD", "content is not valid base64 data", "content"))
        return errors


def content(comp: dict[str, Any]) -> bytes:
    """A stored resource's bytes, for tests that look inside."""
    return base64.b64decode(str(comp.get("content") or ""))


KINDS.setdefault(StaticResourceKind.type_name, StaticResourceKind())
