"""One small workspace on three targets: the local org, the HubSpot emulator, the Salesforce emulator.

Each backend writes a workspace whose only target points at its CRM, makes objects "by hand" through
the vendor's own API (the real client library, never crmconf), and reads back which exist; the
lifecycle cases then drive the real CLI against it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import pytest
from hubspot import HubSpot
from hubspot.crm.properties import PropertyCreate

from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.hubspot_files import files_of
from tests.emulators.salesforce import SalesforceEmulator, connect
from tests.emulators.salesforce_staticresource import content

HEADER = "# yaml-language-server: $schema=https://crmconf.dev/schema/v1/spec.schema.json\n"


class Backend(Protocol):
    name: str
    target: str
    defaults: tuple[str, ...]  # what the vendor ships: accepted as unmanaged where a case wants drift 0

    def config(self) -> str: ...

    def make_field(self, obj: str, name: str, label: str) -> None: ...

    def fields(self, obj: str) -> set[str]: ...

    def record(self) -> dict[str, Any] | None:
        """The managed record as the CRM itself keeps it (None: there is none there)."""
        ...


def write_workspace(root: Path, backend: Backend, fields: dict[str, list[str]], extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "crmconf.yaml").write_text(
        "# yaml-language-server: $schema=https://crmconf.dev/schema/v1/config.schema.json\n"
        "# The lifecycle workspace: a few fields on one target.\n"
        f"version: 1\ndefault_target: {backend.target}\n" + backend.config() + extra
    )
    lines = [HEADER, "fields:\n"]
    for obj, names in fields.items():
        lines.append(f"  {obj}:\n")
        lines.extend(f"    - {{name: {n}, label: {n.replace('_', ' ').title()}, type: text}}\n" for n in names)
    (root / "fields.yaml").write_text("".join(lines) if any(fields.values()) else HEADER + "fields: {}\n")
    return root


class Local:
    name = "local"
    target = "local"
    defaults: tuple[str, ...] = ()

    def __init__(self, root: Path) -> None:
        self.org = root / ".crmconf" / "local-org.json"

    def config(self) -> str:
        return "targets:\n  local: {provider: local}\n"

    def _load(self) -> dict[str, Any]:
        return json.loads(self.org.read_text()) if self.org.exists() else {"format_version": 1, "objects": {}}

    def make_field(self, obj: str, name: str, label: str) -> None:
        org = self._load()
        org["objects"][f"field.{obj}.{name}"] = {  # an admin's edit of the org file: no crmconf involved
            "kind": "field",
            "attrs": {"label": label, "type": "text", "required": False, "help_text": None, "options": None,
                      "format": None, "group": None, "unique": False},
            "parent": None, "label": label, "version": 1,
        }
        self.org.parent.mkdir(parents=True, exist_ok=True)
        self.org.write_text(json.dumps(org))

    def fields(self, obj: str) -> set[str]:
        return {a.split(".")[2] for a, o in self._load()["objects"].items() if a.startswith(f"field.{obj}.")}

    def record(self) -> dict[str, Any] | None:
        text = self._load().get("state", {}).get("managed")
        return json.loads(text) if text else None


class HubSpotBackend:
    name = "hubspot"
    target = "hubspot"
    # A new portal's own pipelines (its default deal and ticket pipelines).
    defaults = ("pipeline.*",)
    OBJECTS = {"deal": "deals", "contact": "contacts"}

    def __init__(self, emu: HubSpotEmulator) -> None:
        self.emu = emu
        self.client = HubSpot(access_token=emu.token, host=emu.base_url, base_url=emu.base_url)

    def config(self) -> str:
        return (
            "targets:\n  hubspot:\n    provider: hubspot\n"
            f"    settings: {{token_env: HUBSPOT_TOKEN, base_url: \"{self.emu.base_url}\", strict_decoding: true}}\n"
        )

    def make_field(self, obj: str, name: str, label: str) -> None:
        self.client.crm.properties.core_api.create(
            self.OBJECTS[obj],
            PropertyCreate(name=name, label=label, type="string", field_type="text", group_name="dealinformation"),
        )

    def fields(self, obj: str) -> set[str]:
        return {p["name"] for p in self.emu.properties(self.OBJECTS[obj])}

    def record(self) -> dict[str, Any] | None:
        found = files_of(self.emu.portal).at("/crmconf/crmconf-hubspot-managed.json")
        return json.loads(found.content) if found else None


class SalesforceBackend:
    name = "salesforce"
    target = "salesforce"
    # What an org ships with: its processes, stage value sets, flows and permission sets.
    defaults = ("pipeline.*", "automation.*", "permission.*", "validation_rule.*")
    OBJECTS = {"deal": "Opportunity", "contact": "Contact"}

    def __init__(self, emu: SalesforceEmulator) -> None:
        self.emu = emu

    def config(self) -> str:
        return (
            "targets:\n  salesforce:\n    provider: salesforce\n"
            f"    settings: {{instance_url: \"{self.emu.instance_url}\", session_env: SF_SESSION_ID, "
            "ca_bundle_env: SF_CA_BUNDLE}\n"
        )

    def make_field(self, obj: str, name: str, label: str) -> None:
        api = "_".join(p.title() for p in name.split("_")) + "__c"
        sf = connect(self.emu)
        sf.mdapi.CustomField.create(
            sf.mdapi.CustomField(fullName=f"{self.OBJECTS[obj]}.{api}", label=label, type="Text", length=255)
        )

    def record(self) -> dict[str, Any] | None:
        found = self.emu.metadata("StaticResource").get("crmconf_salesforce_managed")
        return json.loads(content(found)) if found else None

    def fields(self, obj: str) -> set[str]:
        names = self.emu.metadata("CustomField")
        prefix = f"{self.OBJECTS[obj]}."
        return {n[len(prefix):-3].lower() for n in names if n.startswith(prefix) and n.endswith("__c")}


@contextmanager
def backend(name: str, root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    if name == "local":
        yield Local(root)
    elif name == "hubspot":
        with HubSpotEmulator(seed=False) as emu:
            monkeypatch.setenv("HUBSPOT_TOKEN", emu.token)
            yield HubSpotBackend(emu)
    else:
        with SalesforceEmulator(seed=False) as emu:
            monkeypatch.setenv("SF_SESSION_ID", emu.session_id)
            monkeypatch.setenv("SF_CA_BUNDLE", emu.ca_path)
            monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
            yield SalesforceBackend(emu)
