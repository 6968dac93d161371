"""What each key of a spec means, with an example: the text editors show on hover and in completion.

Kept beside the models rather than inside them so model.py stays about validation; crmconf.spec.schema
puts each entry on its property when it generates the JSON Schemas. A test holds every key of every model
to an entry (and every example to the key's own schema), so a new key is documented or the build fails.
The fuller story, with the errors each key can raise, is docs/spec-reference.md.
"""

from __future__ import annotations

from typing import Any

Doc = tuple[str, Any]  # (description, example)

SECTIONS: dict[str, Doc] = {
    "terminology": ("The glossary the CRM council signs off: each term, its definition, its owners and the "
                    "words labels must avoid.",
                    [{"term": "Deal", "definition": "A qualified revenue opportunity.", "owners": ["sales"]}]),
    "fields": ("Custom fields per object (`deal`, `contact`, `company`, `ticket`, `lead`).",
               {"deal": [{"name": "arr", "label": "ARR", "type": "currency"}]}),
    "pipelines": ("Pipelines and their stages, in order: probabilities, required fields, exit criteria, "
                  "outcomes.",
                  [{"name": "new_business", "object": "deal", "label": "New Business",
                    "stages": [{"name": "discovery", "label": "Discovery", "probability": 10},
                               {"name": "won", "label": "Closed Won", "probability": 100, "outcome": "won"},
                               {"name": "lost", "label": "Closed Lost", "probability": 0, "outcome": "lost"}]}]),
    "automations": ("The automation inventory: every workflow or flow, compiled by crmconf or bound to an "
                    "existing one, with an owner and a review date.",
                    [{"name": "legacy_router", "binds": {"salesforce": "Route_Leads"},
                      "owner": "devon@acme.example", "purpose": "Route demo requests", "reviewed": "2026-10-01"}]),
    "permissions": ("Permission sets: object access and field access for a role.",
                    [{"name": "sales_rep", "label": "Sales Rep", "objects": {"deal": ["read", "edit"]}}]),
    "manual_steps": ("Manual steps people did by hand, recorded by `crmconf done` (written by crmconf; "
                     "edit with care).",
                     [{"step": "pipeline.new_business:stage-requirements", "target": "hubspot-prod",
                       "done_by": "maria@acme.example", "done_on": "2026-11-20", "digest": "0123456789abcdef"}]),
    "teams": ("The teams named in `owners`: who belongs to each, so sign-off can be checked.",
              [{"name": "sales", "members": [{"email": "maria@acme.example", "github": "mlopez"}]}]),
    "reviews": ("The review history of automations, appended by `crmconf review` (who, when, the decision).",
                [{"automation": "proposal_follow_up", "by": "maria@acme.example", "on": "2026-10-01",
                  "decision": "keep"}]),
    "health": ("What `crmconf health` measures on the live records: each KPI's target, and how long it may "
               "stay below target before it escalates (docs/health.md).",
               {"escalate_after": "14d", "notify": ["revops"], "stale_deals": {"after": "21d"},
                "duplicates": False}),
}


def _kpi(what: str, target: Doc, **own: Doc) -> dict[str, Doc]:
    """The keys every KPI takes, then its own."""
    return {
        "enabled": (f"Measure {what} (default true; `false` turns it off, as `<kpi>: false` does).", True),
        "escalate_after": ("How long it may stay below target before it escalates (default: the section's "
                           "escalate_after).", "7d"),
        "notify": ("Teams told when it escalates, besides the owners of what is below target.", ["revops"]),
        "target": target,
        **own,
    }


_KPIS: dict[str, Doc] = {
    "required_field_completion": ("The share of records in each stage holding every field the stage requires "
                                  "(`true`: the defaults, `false`: off).", {"target": "95%"}),
    "stale_deals": ("Open deals sitting in one stage longer than `after`.", {"target": 0, "after": "21d"}),
    "off_list_values": ("Records whose picklist value is not one of the field's options.",
                        {"fields": ["deal.lead_source"]}),
    "lead_source_coverage": ("The share of records that say where they came from.", {"target": "90%"}),
    "owner_coverage": ("The share of records owned by an active user.", {"objects": ["deal", "company"]}),
    "duplicates": ("Records repeating an earlier record's dedup key (the same value, ignoring case).",
                   {"keys": ["contact.email"]}),
    "activity_per_user": ("Activities each owner logged in the last `per`.", {"target": 5, "per": "1w"}),
}

KEYS: dict[str, dict[str, Doc]] = {
    "ConfigFile": {
        "version": ("The format of this workspace. Always 1.", 1),
        "default_target": ("The target `plan` and `apply` use without `--target`.", "local"),
        "targets": ("The CRMs this workspace configures, by name: a provider and its settings (credentials "
                    "only as the names of environment variables).",
                    {"local": {"provider": "local"},
                     "hubspot-prod": {"provider": "hubspot", "settings": {"token_env": "HUBSPOT_TOKEN"}}}),
        "policies": ("Rules every workspace check and audit applies: review intervals, owners, pruning, the "
                     "council.", {"automation_review_every": "90d", "council": "revops"}),
        "unmanaged": ("Live objects (addresses or `*` patterns) the workspace knowingly leaves alone: drift "
                      "counts them as accepted; listing one crmconf manages forgets it.",
                      ["field.contact.zi_*", {"address": "automation.legacy_scoring", "reason": "Marketing's"}]),
        "promotion": ("Targets in the order a spec goes through them: a later one takes only a spec applied and "
                      "verified on the one before.", ["hubspot-sandbox", "hubspot-prod"]),
        **{k: v for k, v in SECTIONS.items()},
    },
    "SectionFile": dict(SECTIONS),
    "Target": {
        "provider": ("The provider plugin: `local`, `hubspot`, `salesforce` or an installed third-party one.",
                     "hubspot"),
        "settings": ("The provider's settings (`crmconf providers` lists them). Secrets are never written here: "
                     "name the environment variable that holds them.", {"token_env": "HUBSPOT_TOKEN"}),
        "description": ("What this target is, for people.", "Sales CRM (HubSpot Sales Hub Enterprise)"),
        "overrides": ("Per-target changes to items of the spec, by section and name (a sandbox pilot, a "
                      "production-only setting).", {"automations": {"stalled_alert": {"status": "inactive"}}}),
    },
    "Policies": {
        "automation_review_every": ("How often every automation is reviewed by its owner (`90d`, `12w`).", "90d"),
        "require_automation_owner": ("Every automation needs an `owner` (an e-mail).", True),
        "review_due_soon": ("How long before a review is due the audit says `due-soon`.", "14d"),
        "prune": ("Kinds whose live objects no spec names are deleted (with `--allow-destroy`) instead of "
                  "reported as unmanaged.", ["option"]),
        "council": ("The team that signs off changes to crmconf.yaml and to `teams`, and anything nobody owns.",
                    "revops"),
        "promotion_soak": ("How long a spec must have run, verified, on a target before the next one in "
                           "`promotion` takes it.", "2d"),
        "audit_fail_on": ("The audit verdicts that fail the audit (exit 3).", ["overdue", "unowned", "orphan"]),
        "audit_failing_percent": ("The share of failed runs (where the vendor counts them) that makes an "
                                  "automation `failing`.", 10),
    },
    "UnmanagedRule": {
        "address": ("A live object's address, or a pattern with `*`.", "field.contact.zi_*"),
        "reason": ("Why it is left alone, for the next reader.", "ZoomInfo's fields; its sync owns them"),
        "targets": ("Only on these targets (default: every target).", ["hubspot-prod"]),
    },
    "Term": {
        "term": ("The word, as people should write it.", "Deal"),
        "definition": ("What it means, in one or two sentences the council agrees on.",
                       "A qualified revenue opportunity tracked in a pipeline."),
        "owners": ("Teams whose sign-off a change to this term needs.", ["sales"]),
        "avoid": ("Words no label (in the spec or live) may use instead.", ["Opportunity", "Opp"]),
        "examples": ("Sentences that use the term right.", ["Every deal has an amount and a close date."]),
    },
    "FieldSpec": {
        "name": ("The field's identifier (lower case, digits, underscores); the vendor's API name is made from "
                 "it.", "annual_revenue"),
        "label": ("The label people see in the CRM.", "Annual Revenue"),
        "type": ("The kind of value: text, textarea, number, currency, percent, date, datetime, boolean, "
                 "picklist, multipicklist, email, phone or url.", "currency"),
        "required": ("A record cannot be saved without a value.", False),
        "help_text": ("The help people see beside the field.", "Last fiscal year, in USD."),
        "options": ("The choices of a picklist: a value, or a value with a label and `hidden`.",
                    ["Inbound", {"value": "partner", "label": "Partner"}]),
        "format": ("`e164` makes a phone field hold international numbers (+14155550100).", "e164"),
        "group": ("The section of the record page the field belongs to.", "qualification"),
        "unique": ("No two records may hold the same value.", False),
        "owners": ("Teams whose sign-off a change to this field needs.", ["finance"]),
    },
    "Option": {
        "value": ("The stored value of the choice.", "partner"),
        "label": ("What people see (default: the value).", "Partner"),
        "hidden": ("Kept for old records, no longer offered.", False),
    },
    "Pipeline": {
        "name": ("The pipeline's identifier.", "new_business"),
        "object": ("The object it moves through stages: `deal`, `ticket`, `contact` (lifecycle), ...", "deal"),
        "label": ("The label people see.", "New Business"),
        "description": ("What the pipeline is for.", "From the first qualified meeting to a signed order form."),
        "owners": ("Teams whose sign-off a change to this pipeline needs.", ["sales", "revops"]),
        "stages": ("The stages, in order. Deal pipelines close `won` or `lost`; others `closed`.",
                   [{"name": "discovery", "label": "Discovery", "probability": 10}]),
        "migrate_to": ("Stages removed from the spec, each with the stage that takes its records.",
                       {"qualification": "discovery"}),
    },
    "Stage": {
        "name": ("The stage's identifier, unique within the pipeline.", "proposal"),
        "label": ("The label people see; distinct labels recommended.", "Proposal Sent"),
        "probability": ("The forecast probability, 0-100: required on deal stages, 100 for won, 0 for lost.", 60),
        "forecast_category": ("Where a deal's amount counts in a forecast (deal stages): omitted, pipeline, "
                              "best_case, most_likely, commit or closed.", "best_case"),
        "owner_team": ("The team that works records in this stage.", "sales"),
        "exit_criteria": ("What must be true to leave the stage.", "Written proposal sent with pricing and term."),
        "require": ("Fields that must have a value before a record enters the stage.", ["amount", "close_date"]),
        "outcome": ("Marks a closing stage: `won` or `lost` for deals, `closed` for other objects.", "won"),
        "description": ("More about the stage, for people.", "The SLA clock is paused in this stage."),
        "branch_from": ("A side path off that open stage (an escalation): records come here from it and go back."
                        " Drawn as a branch in the handbook.", "in_progress"),
    },
    "Automation": {
        "name": ("The automation's identifier.", "proposal_follow_up"),
        "description": ("What it does, in a sentence.", "Follow up three days after a proposal is sent"),
        "object": ("The object whose records trigger it (compiled automations).", "deal"),
        "trigger": ("When it runs: record_created, stage_entered, field_changed, stale_in_stage or "
                    "date_reached.", {"stage_entered": "new_business.proposal"}),
        "actions": ("What it does: create_task, notify, set_field or assign_round_robin.",
                    [{"create_task": {"subject": "Follow up on the proposal", "due_in": "3d"}}]),
        "binds": ("An existing automation in the CRM, by provider: inventoried and audited, not compiled.",
                  {"salesforce": "Route_Inbound_Leads", "hubspot": "123456789"}),
        "owner": ("The person who answers for it (an e-mail).", "maria@acme.example"),
        "team": ("The team it belongs to; its sign-off is needed for changes.", "sales"),
        "purpose": ("Why it exists: what would go wrong without it.", "Keep proposals from going cold"),
        "reviewed": ("When its owner last reviewed it (YYYY-MM-DD); `crmconf review` sets it.", "2026-10-01"),
        "review_every": ("This automation's review interval, instead of the policy's.", "180d"),
        "status": ("`active`, or `inactive` to keep it defined but switched off.", "active"),
        "pilot": ("Who it reaches first, where the vendor can scope it: teams and users.",
                  {"teams": ["sales"]}),
    },
    "RecordCreated": {"record_created": ("When a record is created; `where` narrows it to some values.",
                                         {"where": {"lead_source": "Inbound"}})},
    "RecordCreatedArgs": {"where": ("Field values the new record must have.", {"lead_source": "Inbound"})},
    "StageEntered": {"stage_entered": ("When a record enters a stage: `pipeline.stage`.", "new_business.proposal")},
    "FieldChanged": {"field_changed": ("When a field changes (to a given value, optionally).",
                                       {"field": "priority", "to": "High"})},
    "FieldChangedArgs": {
        "field": ("The field that changes.", "priority"),
        "to": ("Only when it changes to this value.", "High"),
    },
    "StaleInStage": {"stale_in_stage": ("When a record has stayed in a stage for some days.",
                                        {"days": 14, "pipeline": "new_business"})},
    "StaleInStageArgs": {
        "days": ("Days in the same stage.", 14),
        "pipeline": ("Only records of this pipeline.", "new_business"),
    },
    "DateReached": {"date_reached": ("When a date field is reached (plus or minus an offset).",
                                     {"field": "renewal_date", "offset": "-30d"})},
    "DateReachedArgs": {
        "field": ("The date field.", "renewal_date"),
        "offset": ("How long before (`-30d`) or after (`2w`) the date.", "-30d"),
    },
    "CreateTask": {"create_task": ("Create a task.", {"subject": "Call the customer", "due_in": "2d"})},
    "CreateTaskArgs": {
        "subject": ("The task's subject.", "Follow up on the proposal"),
        "due_in": ("When it is due, from now.", "3d"),
        "assign_to": ("`record_owner`, `team:NAME` or an e-mail.", "record_owner"),
    },
    "Notify": {"notify": ("Send a notification.", {"to": ["record_owner"], "message": "This deal is stalled."})},
    "NotifyArgs": {
        "to": ("Who: `record_owner`, `team:NAME` or e-mails.", ["record_owner", "team:sales-managers"]),
        "message": ("The text of the notification.", "This deal has not moved in 14 days."),
    },
    "SetField": {"set_field": ("Set a field of the record.", {"field": "priority", "value": "High"})},
    "SetFieldArgs": {
        "field": ("The field to set.", "priority"),
        "value": ("The value (null clears it).", "High"),
    },
    "AssignRoundRobin": {"assign_round_robin": ("Assign the record to the next person of a team.",
                                                {"team": "sdr"})},
    "AssignRoundRobinArgs": {
        "team": ("The team whose members take turns.", "sdr"),
        "among": ("Only these members (e-mails).", ["priya@acme.example", "tomas@acme.example"]),
    },
    "Pilot": {
        "teams": ("Declared teams whose members it reaches first.", ["sales"]),
        "users": ("People it reaches first (e-mails).", ["maria@acme.example"]),
    },
    "PermissionSet": {
        "name": ("The permission set's identifier.", "sales_rep"),
        "label": ("The label people see.", "Sales Rep"),
        "description": ("Who it is for.", "Account executives working their own deals."),
        "objects": ("Access per object: read, create, edit, delete, view_all, modify_all.",
                    {"deal": ["read", "create", "edit"]}),
        "fields": ("Access per field (`object.field`): none, read or edit.", {"deal.amount": "edit"}),
        "owners": ("Teams whose sign-off a change to this permission set needs.", ["revops"]),
    },
    "StepRecord": {
        "step": ("The manual step's id, as plans show it.", "pipeline.new_business:stage-requirements"),
        "target": ("The target it was done on.", "hubspot-prod"),
        "done_by": ("Who did it (an e-mail).", "maria@acme.example"),
        "done_on": ("When (YYYY-MM-DD).", "2026-11-20"),
        "digest": ("What was asked, as crmconf computed it: a change to the step reopens it.", "0123456789abcdef"),
        "note": ("Anything the next person should know.", "Done in the HubSpot pipeline settings."),
    },
    "TeamSpec": {
        "name": ("The team's name, as `owners` and `owner_team` write it.", "sales"),
        "description": ("Who the team is.", "Account executives and their managers."),
        "members": ("Its members: an e-mail, and a GitHub login to approve pull requests.",
                    [{"email": "maria@acme.example", "github": "mlopez"}]),
        "github_teams": ("GitHub teams (`org/slug`) whose members count as members.", ["acme/sales-leads"]),
    },
    "Member": {
        "email": ("How crmconf knows them (as `owner` is written).", "maria@acme.example"),
        "github": ("Their GitHub login: their approval signs off for the team.", "mlopez"),
    },
    "ReviewRecord": {
        "automation": ("The automation reviewed.", "proposal_follow_up"),
        "by": ("Who reviewed it (an e-mail).", "maria@acme.example"),
        "on": ("When (YYYY-MM-DD).", "2026-10-01"),
        "decision": ("keep, change or retire.", "keep"),
        "note": ("Why.", "Still needed: proposals go cold without it."),
    },
    "Health": {
        "escalate_after": ("How long a KPI may stay below target before it escalates (exit 5).", "14d"),
        "notify": ("Teams told of every escalation, besides the owners of what is below target.", ["revops"]),
        "by_owner": ("Report each active owner's figure for every KPI too (default true; costs requests per "
                     "owner on HubSpot).", True),
        **_KPIS,
    },
    "RequiredFieldCompletion": _kpi("required-field completion", ("The share to reach, e.g. `95%`.", "95%")),
    "StaleDeals": _kpi("stale deals", ("At most this many stale deals (a count, or a share such as `5%`).", 0),
                       after=("Stale after this long in one stage (default: the pipeline's stale_in_stage "
                              "rule).", "21d")),
    "OffListValues": _kpi("off-list values", ("At most this many records off the list (a count or a share).", 0),
                          fields=("The picklist fields to check, `object.field` (default: every picklist of "
                                  "the spec).", ["deal.lead_source"])),
    "LeadSourceCoverage": _kpi("lead-source coverage", ("The share to reach, e.g. `95%`.", "95%"),
                               field=("The field that says where a record came from.", "lead_source"),
                               objects=("The objects measured (default: every object whose spec declares "
                                        "`field`).", ["contact", "deal"])),
    "OwnerCoverage": _kpi("owner coverage", ("The share to reach, e.g. `100%`.", "100%"),
                          objects=("The objects measured (default: every object the spec has fields or "
                                   "pipelines on).", ["deal", "company"])),
    "Duplicates": _kpi("duplicates", ("At most this many duplicates (a count or a share).", 0),
                       keys=("The dedup keys, `object.field` (default: every unique field, contact.email, "
                             "company.domain).", ["contact.email", "company.domain"])),
    "ActivityPerUser": _kpi("activity per owner", ("At least this many activities per owner per `per`.", 5),
                            per=("The period counted back from now.", "1w")),
}


def doc(model: str, key: str) -> Doc | None:
    return KEYS.get(model, {}).get(key)
