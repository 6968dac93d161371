"""Workflows: created, replaced (PUT with the current revisionId) and deleted through the v4 flows API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmconf import address as addr
from crmconf.engine.changes import Change
from crmconf.errors import ProviderError
from crmconf_hubspot import flows
from crmconf_hubspot.apply_common import (
    context,
    matches,
)
from crmconf_hubspot.client import Client, Refused
from crmconf_hubspot.compile import Desired
from crmconf_hubspot.mapping import flow_name
from crmconf_hubspot.registry import Registry


class FlowWrites:
    client: Client
    desired: Desired
    registry: Registry

    # --- workflows --------------------------------------------------------------------------------

    def _find_flow(self, name: str) -> dict[str, Any] | None:
        after: str | None = None
        while True:
            page = self.client.flows("GET", qs={"limit": 100, **({"after": after} if after else {})}, idempotent=True)
            for summary in page.get("results") or []:
                if summary.get("name") == name:
                    return dict(self.client.flows("GET", f"/{summary['id']}", idempotent=True))
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return None

    def create_flow(self, change: Change) -> None:
        """Check, then create. HubSpot lets any number of flows share a name, so nothing at HubSpot stops a
        second `[crmconf] <name>`: a flow of that name made since the plan read the portal (another apply,
        a run cut short after its POST landed) is adopted and brought to the spec, never duplicated."""
        name = addr.name_of(change.address)
        if "trigger" not in (change.after or {}):
            raise ProviderError(f"HubSpot has no workflow {name}: correct `binds.hubspot` (crmconf never creates "
                                "the workflows it only inventories)", context=context(change))
        body = flows.to_flow(name, change.after or {}, self.registry.lookups())
        existing = self._find_flow(flow_name(name))
        if existing is not None:
            self._adopt_flow(change, existing, body)
            return
        created = self.client.write(
            f"create workflow {flow_name(name)}",
            lambda: self.client.flows("POST", body=body, idempotent=False),
            lambda: self._find_flow(flow_name(name)))
        self.registry.workflows[str(created["id"])] = created

    def _adopt_flow(self, change: Change, flow: Mapping[str, Any], body: Mapping[str, Any]) -> None:
        fid = str(flow["id"])
        if str(flow.get("objectTypeId")) != str(body.get("objectTypeId")):
            raise ProviderError(f"HubSpot already has a workflow named {flow['name']!r} (id {fid}) on another object "
                                "type, made since the plan: crmconf does not make a second one of that name; run "
                                "`crmconf plan` again", context=context(change))
        self.registry.workflows[fid] = dict(flow)
        if not self._flow_matches(change, flow):
            self._put_flow(change, fid)

    def _flow_id(self, change: Change) -> str:
        fid = change.meta.get("id") or addr.name_of(change.address)
        return str(fid)

    def _current_flow(self, fid: str) -> dict[str, Any]:
        flow = self.registry.workflows.get(fid)
        if flow is None or "actions" not in flow:
            flow = dict(self.client.flows("GET", f"/{fid}", idempotent=True))
            self.registry.workflows[fid] = flow
        return flow

    def _flow_body(self, change: Change, current: Mapping[str, Any]) -> dict[str, Any]:
        """A PUT is a full replace with the current revisionId, without what only a create carries."""
        attrs = change.after or {}
        if "trigger" in attrs:  # compiled: the whole definition is crmconf's
            body = flows.to_flow(addr.name_of(change.address), attrs, self.registry.lookups())
        else:  # bound: the flow as it is, with only the attributes the spec manages changed
            body = dict(current)
            body["isEnabled"] = attrs.get("status", "active") == "active"
            if "description" in attrs:
                body["description"] = attrs["description"] or ""
        return flows.for_put(body, str(current["revisionId"]))

    def update_flow(self, change: Change) -> None:
        self._put_flow(change, self._flow_id(change))

    def _put_flow(self, change: Change, fid: str) -> None:
        for _ in range(3):
            current = self._current_flow(fid)
            try:
                updated = self.client.flows("PUT", f"/{fid}", body=self._flow_body(change, current), idempotent=True)
            except Refused as exc:
                # 409: the revision moved (someone edited it, or our own lost PUT landed): re-read, re-decide.
                if exc.status != 409:
                    raise
                self.registry.workflows.pop(fid, None)
                if self._flow_matches(change, self._current_flow(fid)):
                    return
                continue
            self.registry.workflows[fid] = dict(updated)
            return
        raise ProviderError("the workflow kept changing under us (revision conflicts)", context=context(change))

    def _flow_matches(self, change: Change, flow: Mapping[str, Any]) -> bool:
        attrs = change.after or {}
        live: dict[str, Any] = {"status": "active" if flow.get("isEnabled") else "inactive",
                                "description": flow.get("description") or None}
        if "trigger" in attrs:
            live = flows.from_flow(flow, self.registry.lookups())
        return matches(live, attrs)

    def delete_flow(self, change: Change) -> None:
        fid = self._flow_id(change)
        try:
            self.client.flows("DELETE", f"/{fid}", idempotent=True)
        except Refused as exc:
            if exc.status != 404:
                raise
        self.registry.workflows.pop(fid, None)

    def replace_flow(self, change: Change) -> None:
        self.delete_flow(change)
        self.create_flow(change)
