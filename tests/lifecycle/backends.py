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

Names = tuple[str, str]  # (spec name, label)
HEADER = "# yaml-language-server: $schema=.schema/spec.schema.json\n"


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

    def add_deals(self, pipeline: Names, stage: Names, count: int) -> None:
        """`count` deals in that stage, made through the vendor's API; Names are (spec name, label)."""
        ...

    def deals(self, pipeline: Names) -> dict[str, int]:
        """Deals per stage label of that pipeline (every deal of it, wherever it sits)."""
        ...


def write_workspace(root: Path, backend: Backend, fields: dict[str, list[str]], extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "crmconf.yaml").write_text(
        "# yaml-language-server: $schema=.schema/config.schema.json\n"
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

    def add_deals(self, pipeline: Names, stage: Names, count: int) -> None:
        org = self._load()
        deals = org.setdefault("records", {}).setdefault("deal", [])
        deals += [{"id": f"d{len(deals) + i}", "pipeline": pipeline[0], "stage": stage[0]} for i in range(count)]
        self.org.write_text(json.dumps(org))

    def deals(self, pipeline: Names) -> dict[str, int]:
        org = self._load()
        labels = {o["attrs"]["label"]: a for a, o in org["objects"].items() if o["kind"] == "stage"}
        by_address = {a: label for label, a in labels.items()}
        found: dict[str, int] = {}
        for d in org.get("records", {}).get("deal", []):
            if d["pipeline"] == pipeline[0]:
                label = by_address.get(f"pipeline.{d['pipeline']}.stage.{d['stage']}", f"(gone) {d['stage']}")
                found[label] = found.get(label, 0) + 1
        return found


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

    def _pipeline(self, label: str) -> dict[str, Any]:
        return next(p for p in self.emu.pipelines("deals") if p["label"] == label)

    def add_deals(self, pipeline: Names, stage: Names, count: int) -> None:
        p = self._pipeline(pipeline[1])
        sid = next(s["id"] for s in p["stages"] if s["label"] == stage[1])
        for i in range(count):
            self.emu.add_record("deals", {"dealname": f"Deal {i}", "pipeline": p["id"], "dealstage": sid})

    def deals(self, pipeline: Names) -> dict[str, int]:
        p = self._pipeline(pipeline[1])
        labels = {s["id"]: s["label"] for s in p["stages"]}
        found: dict[str, int] = {}
        for d in self.emu.records("deals"):
            if d["properties"].get("pipeline") == p["id"]:
                label = labels.get(d["properties"].get("dealstage"), f"(gone) {d['properties'].get('dealstage')}")
                found[label] = found.get(label, 0) + 1
        return found


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

    def _record_type(self, pipeline: Names) -> str:
        api = "_".join(p.title() for p in pipeline[0].split("_"))
        return next(r["Id"] for r in self.emu.records("RecordType") if r["DeveloperName"] == api)

    def add_deals(self, pipeline: Names, stage: Names, count: int) -> None:
        rt = self._record_type(pipeline)
        for i in range(count):
            self.emu.add_record("Opportunity", {"Name": f"Deal {i}", "StageName": stage[1], "CloseDate": "2026-12-31",
                                                "RecordTypeId": rt})

    def deals(self, pipeline: Names) -> dict[str, int]:
        rt = self._record_type(pipeline)
        found: dict[str, int] = {}
        for o in self.emu.records("Opportunity"):
            if o.get("RecordTypeId") == rt:
                found[o["StageName"]] = found.get(o["StageName"], 0) + 1
        return found

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
