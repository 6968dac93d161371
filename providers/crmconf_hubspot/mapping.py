"""Spec names and types <-> HubSpot names, ids and types: the one place the vocabulary is translated.

The rules (documented in docs/providers/hubspot.md):
- objects: deal -> deals, contact -> contacts, company -> companies, ticket -> tickets (lead: not managed);
- a custom field's HubSpot internal name IS its spec name; standard spec fields map to HubSpot's own
  properties (`STANDARD`), of which only the options of a few enumerations can be managed;
- pipelines are matched by label within their object, stages by label within their pipeline; when no
  label matches, a live pipeline/stage whose label slugs to a spec name is the same one (a relabel);
- compiled workflows are named `[crmconf] <automation name>`; bound ones are addressed by flow id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crmconf.spec.model import FieldSpec

# spec object -> HubSpot object type (the v3 path segment) and its objectTypeId (v4 flows).
OBJECT_TYPES = {"contact": "contacts", "company": "companies", "deal": "deals", "ticket": "tickets"}
SPEC_OBJECTS = {v: k for k, v in OBJECT_TYPES.items()}
OBJECT_TYPE_IDS = {"contact": "0-1", "company": "0-2", "deal": "0-3", "ticket": "0-5"}
OBJECTS_BY_TYPE_ID = {v: k for k, v in OBJECT_TYPE_IDS.items()}
PIPELINE_OBJECTS = ("deal", "ticket")
# Contacts and companies move through one lifecycle pipeline each (`lifecyclestage` lists its stages, like
# `dealstage`); it is read through the pipelines API but has no API to write it.
LIFECYCLE_OBJECTS = ("contact", "company")
LIFECYCLE_PIPELINES = {"contact": "contacts-lifecycle-pipeline", "company": "companies-lifecycle-pipeline"}
# The record properties that place a record in a pipeline and a stage.
PIPELINE_PROPERTIES = {"deal": ("pipeline", "dealstage"), "ticket": ("hs_pipeline", "hs_pipeline_stage")}
# Where HubSpot puts properties that name no group.
DEFAULT_GROUPS = {"contact": "contactinformation", "company": "companyinformation", "deal": "dealinformation",
                  "ticket": "ticketinformation"}
# The words HubSpot's settings pages use, for manual steps.
PLURAL_LABELS = {"contact": "Contacts", "company": "Companies", "deal": "Deals", "ticket": "Tickets",
                 "lead": "Leads"}
SINGULAR_LABELS = {"contact": "contact", "company": "company", "deal": "deal", "ticket": "ticket", "lead": "lead"}


@dataclass(frozen=True)
class Standard:
    """A spec standard field and the HubSpot-defined property behind it."""

    name: str  # HubSpot's internal name
    options_managed: bool = False  # the only thing about a HubSpot-defined property the API lets us change


STANDARD: dict[str, dict[str, Standard]] = {
    "deal": {"name": Standard("dealname"), "amount": Standard("amount"), "close_date": Standard("closedate"),
             "stage": Standard("dealstage"), "pipeline": Standard("pipeline"), "owner": Standard("hubspot_owner_id"),
             "description": Standard("description"), "next_step": Standard("hs_next_step")},
    # lead_source is not mapped: HubSpot's "Original Source" (hs_analytics_source) is computed and
    # read-only, so a spec's contact.lead_source is a custom property of that name.
    "contact": {"first_name": Standard("firstname"), "last_name": Standard("lastname"), "email": Standard("email"),
                "phone": Standard("phone"), "job_title": Standard("jobtitle"), "owner": Standard("hubspot_owner_id"),
                # Its options are the lifecycle pipeline's stages: not editable as property options.
                "lifecycle_stage": Standard("lifecyclestage")},
    "company": {"name": Standard("name"), "domain": Standard("domain"),
                "industry": Standard("industry", options_managed=True), "phone": Standard("phone"),
                "owner": Standard("hubspot_owner_id"), "employees": Standard("numberofemployees"),
                "annual_revenue": Standard("annualrevenue")},
    "ticket": {"subject": Standard("subject"), "description": Standard("content"),
               "priority": Standard("hs_ticket_priority", options_managed=True),
               "status": Standard("hs_pipeline_stage"), "owner": Standard("hubspot_owner_id")},
}


def standard(obj: str, name: str) -> Standard | None:
    return STANDARD.get(obj, {}).get(name)


def property_name(obj: str, field: str) -> str:
    """The HubSpot internal name of a spec field (standard fields map; custom fields keep their name)."""
    std = standard(obj, field)
    return std.name if std else field


def spec_field_name(obj: str, prop: str) -> str:
    """The inverse of `property_name` (for decompiling workflows and exporting)."""
    for name, std in STANDARD.get(obj, {}).items():
        if std.name == prop:
            return name
    return prop


def property_label(obj: str, field: str, spec_fields: Mapping[str, FieldSpec]) -> str:
    spec = spec_fields.get(field)
    return f"{spec.label} ({property_name(obj, field)})" if spec else property_name(obj, field)


# --- field types ----------------------------------------------------------------------------------
# HubSpot stores fewer types than the spec names: currency/percent are numbers, e-mail/url are single-line
# text. Both sides of the diff use the collapsed vocabulary so plans converge. Phone numbers keep their own
# field type (`phonenumber`), the one HubSpot's phone-format validation rule applies to.
COLLAPSED = {"currency": "number", "percent": "number", "email": "text", "url": "text"}
HUBSPOT_TYPES: dict[str, tuple[str, str]] = {  # collapsed spec type -> (type, fieldType) on create
    "text": ("string", "text"),
    "phone": ("string", "phonenumber"),
    "textarea": ("string", "textarea"),
    "number": ("number", "number"),
    "date": ("date", "date"),
    "datetime": ("datetime", "date"),
    "boolean": ("bool", "booleancheckbox"),
    "picklist": ("enumeration", "select"),
    "multipicklist": ("enumeration", "checkbox"),
}
BOOL_OPTIONS = [{"label": "Yes", "value": "true"}, {"label": "No", "value": "false"}]


def collapsed_type(spec_type: str) -> str:
    return COLLAPSED.get(spec_type, spec_type)


def spec_type(hs_type: str, field_type: str) -> str:
    """A live property's type in the collapsed spec vocabulary (radio/select are both a picklist)."""
    if hs_type == "string":
        return {"textarea": "textarea", "phonenumber": "phone"}.get(field_type, "text")
    if hs_type == "enumeration":
        return "multipicklist" if field_type == "checkbox" else "picklist"
    return {"number": "number", "date": "date", "datetime": "datetime", "bool": "boolean"}.get(hs_type, "text")


def options_of(raw: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Live options in display order, reduced to what the spec can say about them."""
    indexed = list(enumerate(raw))
    indexed.sort(key=lambda p: (p[1].get("displayOrder") if p[1].get("displayOrder") is not None else p[0], p[0]))
    return [{"value": str(o["value"]), "label": str(o["label"]), "hidden": bool(o.get("hidden"))} for _, o in indexed]


# --- stages ---------------------------------------------------------------------------------------

def probability_percent(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return round(float(str(raw)) * 100)
    except ValueError:
        return None


def probability_metadata(percent: int | None) -> str:
    """HubSpot wants a 0.0-1.0 string; the emulator and HubSpot both echo e.g. "0.6"."""
    return str((percent or 0) / 100)


def deal_outcome(metadata: Mapping[str, str]) -> str | None:
    """isClosed + probability 1.0 is won, isClosed + 0.0 is lost (a closed stage in between: nearer wins)."""
    if str(metadata.get("isClosed", "false")).lower() != "true":
        return None
    percent = probability_percent(metadata.get("probability")) or 0
    return "won" if percent >= 50 else "lost"


def stage_metadata(obj: str, probability: int | None, outcome: str | None) -> dict[str, str]:
    if obj == "deal":
        return {"probability": probability_metadata(probability),
                "isClosed": "true" if outcome in ("won", "lost") else "false"}
    return {"ticketState": "CLOSED" if outcome == "closed" else "OPEN"}


def stage_outcome(obj: str, metadata: Mapping[str, str]) -> str | None:
    if obj == "deal":
        return deal_outcome(metadata)
    return "closed" if metadata.get("ticketState") == "CLOSED" else None


# --- names ----------------------------------------------------------------------------------------

def slug(label: str) -> str:
    """A spec identifier for a live label: "Decision Maker Bought-In" -> decision_maker_bought_in."""
    text = re.sub(r"[^a-z0-9]+", "_", label.casefold()).strip("_")
    if not text or not text[0].isalpha():
        text = f"x_{text}".rstrip("_")
    return text[:64].rstrip("_")


def unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        suffix = f"_{n}"
        candidate, n = name[: 64 - len(suffix)] + suffix, n + 1
    taken.add(candidate)
    return candidate


FLOW_PREFIX = "[crmconf] "


def flow_name(automation: str) -> str:
    return f"{FLOW_PREFIX}{automation}"


def compiled_name(flow_label: str | None) -> str | None:
    """The automation a flow was compiled from, when its name says so."""
    if flow_label and flow_label.startswith(FLOW_PREFIX):
        name = flow_label[len(FLOW_PREFIX):].strip()
        return name if re.fullmatch(r"[a-z][a-z0-9_]*", name) else None
    return None


# --- where things live in HubSpot's settings (for manual steps) ----------------------------------
SEP = " \u203a "  # HubSpot's breadcrumb separator, as its help pages print it


def ui_path(*parts: str) -> str:
    return SEP.join(parts)


def pipelines_path(obj: str, pipeline_label: str) -> str:
    return ui_path("Settings", "Objects", PLURAL_LABELS[obj], "Pipelines", pipeline_label)


def record_form_path(obj: str) -> str:
    return ui_path("Settings", "Objects", PLURAL_LABELS[obj], "Record customization",
                   f"Create {SINGULAR_LABELS[obj]} form")


def property_path(obj: str, label: str) -> str:
    return ui_path("Settings", "Properties", f"{SINGULAR_LABELS[obj].capitalize()} properties", label)
