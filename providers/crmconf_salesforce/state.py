"""crmconf's own documents in a Salesforce org: private static resources, through the Metadata API.

Why a static resource: it is plain metadata every edition has, read with `readMetadata` and written
with `upsertMetadata` in the same SOAP API (and bundled WSDL) the provider already uses, so no extra
permission, object or package is needed. `cacheControl: Private` keeps it out of shared caches; the
record holds only addresses, never secrets. `createMetadata` refuses a name that exists
(DUPLICATE_DEVELOPER_NAME), so `create` is one atomic call at Salesforce.

Names: `crmconf_<target>_<document>` (`crmconf_salesforce_prod_managed`), so two workspaces that manage
different parts of one org keep separate records as long as their targets are named apart.
"""

from __future__ import annotations

import re

from crmconf.engine.state import check_key
from crmconf.errors import ProviderError
from crmconf_salesforce.client import SalesforceClient

TYPE = "StaticResource"
CONTENT_TYPE = "application/json"
DESCRIPTION = "crmconf's record of what it manages in this org. Written by `crmconf apply`; do not edit."


def resource_name(target: str, key: str) -> str:
    raw = f"crmconf_{target}_{check_key(key)}"
    return re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9]", "_", raw)).strip("_")


class SalesforceStateStore:
    shared = True
    atomic_create = True

    def __init__(self, client: SalesforceClient, target: str) -> None:
        self.client = client
        self.target = target
        self.location = f"the Salesforce static resource {resource_name(target, 'managed')}"

    def place(self, key: str) -> str:
        return f"the Salesforce static resource {resource_name(self.target, key)}"

    def _component(self, key: str, data: bytes) -> dict[str, object]:
        return {
            "fullName": resource_name(self.target, key),
            "content": data,
            "contentType": CONTENT_TYPE,
            "cacheControl": "Private",
            "description": DESCRIPTION,
        }

    def read(self, key: str) -> bytes | None:
        [found] = self.client.md_read(TYPE, [resource_name(self.target, key)])
        if found is None:
            return None
        content = found.get("content")
        return content if isinstance(content, bytes) else str(content or "").encode("utf-8")

    def write(self, key: str, data: bytes) -> None:
        [result] = self.client.md_write("upsertMetadata", TYPE, [self._component(key, data)])
        if not result.ok:
            raise ProviderError(result.message, context=f"salesforce: write {resource_name(self.target, key)}")

    def create(self, key: str, data: bytes) -> bool:
        [result] = self.client.md_write("createMetadata", TYPE, [self._component(key, data)])
        if result.ok:
            return True
        if "DUPLICATE_DEVELOPER_NAME" in result.message:
            return False
        raise ProviderError(result.message, context=f"salesforce: create {resource_name(self.target, key)}")

    def delete(self, key: str) -> None:
        [result] = self.client.md_delete(TYPE, [resource_name(self.target, key)])
        if not result.ok and "INVALID_CROSS_REFERENCE_KEY" not in result.message:
            raise ProviderError(result.message, context=f"salesforce: delete {resource_name(self.target, key)}")
