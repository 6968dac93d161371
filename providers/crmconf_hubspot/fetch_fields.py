"""Reading properties: the plain listing, the sensitive ones (`dataSensitivity=sensitive`), validation rules.

Sensitive properties are left out of a property listing unless asked for with `dataSensitivity`, which
needs the object's `.sensitive.read.v2` scope. When the token has it they are read like any other
property; when it does not, the object is remembered, so that creating a field whose name is taken
by a property this token cannot see fails with a message naming the scope (apply.py).
"""

from __future__ import annotations

from typing import Any

from crmconf import address as addr
from crmconf.engine.resource import JSON, LiveObject
from crmconf_hubspot import scopes
from crmconf_hubspot.client import Client, MissingScopes
from crmconf_hubspot.compile import Desired
from crmconf_hubspot.mapping import OBJECT_TYPE_IDS, OBJECT_TYPES, options_of, spec_type
from crmconf_hubspot.registry import Registry, field_live_attrs, property_record, raw_property_record

PHONE_RULE = "PHONE_NUMBER_WITH_EXPLICIT_COUNTRY_CODE"


class FieldReader:
    client: Client
    desired: Desired
    registry: Registry
    objects: dict[str, LiveObject]
    granted: frozenset[str] | None

    def count(self, obj: str, prop: str, values: list[str], *, multi: bool = False) -> dict[str, int]:
        raise NotImplementedError

    def with_value(self, obj: str, prop: str) -> int:
        raise NotImplementedError

    def read_properties(self, objects: list[str]) -> None:
        api = self.client.api("properties")
        for obj in objects:
            listed = [property_record(p) for p in self.client.call(
                f"list {OBJECT_TYPES[obj]} properties", api.get_all, OBJECT_TYPES[obj], idempotent=True).results]
            if self._sensitive_wanted(obj, {p["name"] for p in listed}):
                listed += self._sensitive(obj)
            if any(addr.field_of(a) is not None and addr.field_of(a)[0] == obj  # type: ignore[index]
                   for a, r in self.desired.resources.items() if "format" in r.attrs):
                self._rules(obj)
            for raw in listed:
                self.registry.properties[(obj, raw["name"])] = raw
                self.registry.groups.add((obj, raw["groupName"]))
                live = self._field(obj, raw)
                if live is not None:
                    self.objects[live.address] = live

    def _sensitive_wanted(self, obj: str, listed: set[str]) -> bool:
        """Only when the spec declares a custom field the plain listing lacks (or fields are pruned): it may be
        a sensitive property, which would otherwise plan as a create and fail."""
        if "field" in self.desired.prune or not self.desired.known:
            return True
        declared = {f[1] for a, r in self.desired.resources.items()
                    if r.kind == "field" and "type" in r.attrs and (f := addr.field_of(a)) is not None and f[0] == obj}
        return bool(declared - listed)

    def _sensitive(self, obj: str) -> list[dict[str, Any]]:
        if self.granted is not None and scopes.sensitive(obj) not in self.granted:
            self.registry.unread_sensitive.add(obj)
            return []
        try:
            page = self.client.raw("GET", f"/crm/v3/properties/{OBJECT_TYPES[obj]}",
                                   qs={"dataSensitivity": "sensitive"}, idempotent=True)
        except MissingScopes:
            self.registry.unread_sensitive.add(obj)
            return []
        return [raw_property_record(p) for p in (page or {}).get("results") or []]

    def _rules(self, obj: str) -> None:
        page = self.client.raw("GET", f"/crm/v3/property-validations/{OBJECT_TYPE_IDS[obj]}", idempotent=True)
        for item in (page or {}).get("results") or []:
            self.registry.rules[(obj, str(item.get("propertyName")))] = [
                str(r.get("ruleType")) for r in item.get("propertyValidationRules") or []]

    def _field(self, obj: str, raw: dict[str, Any]) -> LiveObject | None:
        meta: dict[str, JSON] = {"object": obj, "name": raw["name"], "hubspot_defined": raw["hubspotDefined"],
                                 "type": spec_type(raw["type"], raw["fieldType"]),
                                 "sensitive": bool(raw.get("sensitive"))}
        rules = self.registry.rules.get((obj, raw["name"]))
        if raw["hubspotDefined"]:
            # HubSpot's own properties are the platform, not this portal's configuration: reported only
            # when the spec manages one (options, a validation rule), so never listed, linted or pruned.
            name = self.desired.standard.get((obj, raw["name"]))
            if name is None:
                return None
            address = addr.field(obj, name)
            attrs: dict[str, JSON] = {"options": options_of(raw["options"]),
                                      "format": field_live_attrs(raw, rules)["format"]}
        else:
            address = addr.field(obj, raw['name'])
            attrs = field_live_attrs(raw, rules)
        usage: dict[str, int] = {}
        removed = self.desired.removed_options(address, options_of(raw["options"]))
        if removed:
            counts = self.count(obj, raw["name"], removed, multi=raw["fieldType"] == "checkbox")
            usage = {f"option:{v}": n for v, n in counts.items() if n}
        elif "field" in self.desired.prune and address not in self.desired.resources and not raw["hubspotDefined"]:
            usage = {"records": self.with_value(obj, raw["name"])}
        return LiveObject(address, "field", attrs, version=raw["updatedAt"], meta=meta, usage=usage,
                          label=raw["label"])
