"""Live properties: the plain listing, the sensitive ones (`dataSensitivity=sensitive`), validation rules
(read by reads.py, all objects at once).

Sensitive properties are left out of a property listing unless asked for with `dataSensitivity`, which
needs the object's `.sensitive.read.v2` scope. When the token has it they are read like any other
property; when it does not, the object is remembered, so that creating a field whose name is taken
by a property this token cannot see fails with a message naming the scope (apply.py).
"""

from __future__ import annotations

from typing import Any

from crmconf import address as addr
from crmconf.engine.resource import JSON, LiveObject
from crmconf_hubspot.client import Client
from crmconf_hubspot.compile import Desired
from crmconf_hubspot.mapping import options_of, spec_type
from crmconf_hubspot.reads import Reads
from crmconf_hubspot.registry import Registry, field_live_attrs

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

    def read_properties(self, objects: list[str], reads: Reads) -> None:
        """Live fields from what reads.py read (the lists, sensitive ones, validation rules)."""
        for obj in objects:
            if obj in reads.unread_sensitive:
                self.registry.unread_sensitive.add(obj)
            if obj in reads.rules:
                self._rules(obj, reads.rules[obj])
            for raw in reads.properties[obj]:
                self.registry.properties[(obj, raw["name"])] = raw
                self.registry.groups.add((obj, raw["groupName"]))
                live = self._field(obj, raw)
                if live is not None:
                    self.objects[live.address] = live

    def wants_rules(self, obj: str) -> bool:
        """Validation rules are read where the spec's fields on the object declare a `format`."""
        return any(addr.field_of(a) is not None and addr.field_of(a)[0] == obj  # type: ignore[index]
                   for a, r in self.desired.resources.items() if "format" in r.attrs)

    def _sensitive_wanted(self, obj: str, listed: set[str]) -> bool:
        """Only when the spec declares a custom field the plain listing lacks (or fields are pruned): it may be
        a sensitive property, which would otherwise plan as a create and fail."""
        if "field" in self.desired.prune or not self.desired.known:
            return True
        declared = {f[1] for a, r in self.desired.resources.items()
                    if r.kind == "field" and "type" in r.attrs and (f := addr.field_of(a)) is not None and f[0] == obj}
        return bool(declared - listed)

    def _rules(self, obj: str, items: list[dict[str, Any]]) -> None:
        for item in items:
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
