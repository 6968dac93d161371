"""Fields every CRM object has without a spec declaring them (each provider maps them to its own names).

A spec may still declare a field with one of these names to manage what the vendor lets it manage
(label, required, help text); it never creates or deletes a standard field.
"""

from __future__ import annotations

STANDARD_FIELDS: dict[str, dict[str, str]] = {
    "deal": {
        "name": "text",
        "amount": "currency",
        "close_date": "date",
        "stage": "picklist",
        "pipeline": "picklist",
        "owner": "text",
        "description": "textarea",
        "next_step": "text",
    },
    "contact": {
        "first_name": "text",
        "last_name": "text",
        "email": "email",
        "phone": "phone",
        "job_title": "text",
        "owner": "text",
        "lifecycle_stage": "picklist",
        "lead_source": "picklist",
    },
    "company": {
        "name": "text",
        "domain": "url",
        "industry": "picklist",
        "phone": "phone",
        "owner": "text",
        "employees": "number",
        "annual_revenue": "currency",
    },
    "ticket": {
        "subject": "text",
        "description": "textarea",
        "priority": "picklist",
        "status": "picklist",
        "owner": "text",
    },
    "lead": {
        "first_name": "text",
        "last_name": "text",
        "email": "email",
        "company": "text",
        "status": "picklist",
        "owner": "text",
        "lead_source": "picklist",
    },
}


def is_standard(obj: str, name: str) -> bool:
    return name in STANDARD_FIELDS.get(obj, {})
