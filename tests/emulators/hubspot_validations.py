"""Property validation rules (`/crm/v3/property-validations`), as HubSpot documents them.

A PUT of `{ruleArguments, shouldApplyNormalization?}` to `.../{objectTypeId}/{property}/rule-type/{ruleType}`
sets or overwrites the one rule of that type (204); rules of other types stay. Each rule type
applies to some property types only, and its arguments have a documented form ([docs] the
property validations guide). The API has no DELETE for a rule.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from tests.emulators.hubspot_errors import JSON, invalid, not_found

_TEXT, _TEXTAREA, _PHONE = ("string", "text"), ("string", "textarea"), ("string", "phonenumber")
_NUMBER, _DATE, _DATETIME = ("number", None), ("date", None), ("datetime", None)
# rule type -> the (type, fieldType) it applies to (None: any fieldType of that type)
SUPPORTED: dict[str, tuple[tuple[str, str | None], ...]] = {
    "AFTER_DATETIME_DURATION": (_DATETIME,), "AFTER_DURATION": (_DATE,), "ALPHANUMERIC": (_TEXT, _TEXTAREA),
    "BEFORE_DATETIME_DURATION": (_DATETIME,), "BEFORE_DURATION": (_DATE,), "DAYS_OF_WEEK": (_DATE, _DATETIME),
    "DECIMAL": (_NUMBER,), "DOMAIN": (_TEXT,), "EMAIL": (_TEXT,), "EMAIL_ALLOWED_DOMAINS": (_TEXT,),
    "EMAIL_BLOCKED_DOMAINS": (_TEXT,), "END_DATE": (_DATE,), "END_DATETIME": (_DATETIME,),
    "FORMAT": (_TEXT, _TEXTAREA), "MAX_LENGTH": (_TEXT, _TEXTAREA, _PHONE), "MAX_NUMBER": (_NUMBER,),
    "MIN_LENGTH": (_TEXT, _TEXTAREA, _PHONE), "MIN_NUMBER": (_NUMBER,),
    "PHONE_NUMBER_WITH_EXPLICIT_COUNTRY_CODE": (_PHONE,), "REGEX": (_TEXT, _TEXTAREA),
    "SPECIAL_CHARACTERS": (_TEXT, _TEXTAREA), "START_DATE": (_DATE,), "START_DATETIME": (_DATETIME,),
    "URL": (_TEXT,), "URL_ALLOWED_DOMAINS": (_TEXT,), "URL_BLOCKED_DOMAINS": (_TEXT,), "WHITESPACE": (_TEXT,),
}


def _check_arguments(rule: str, args: list[str]) -> None:
    if rule == "PHONE_NUMBER_WITH_EXPLICIT_COUNTRY_CODE":
        if len(args) > 1 or (args and not re.fullmatch(r"[a-z]{2}", args[0])):
            raise invalid("PHONE_NUMBER_WITH_EXPLICIT_COUNTRY_CODE takes no argument or one two-letter lower-case "
                          "country code")
    elif rule in ("MAX_LENGTH", "MIN_LENGTH", "DECIMAL"):
        if len(args) != 1 or not args[0].isdigit():
            raise invalid(f"{rule} takes one integer argument")
    elif rule == "FORMAT" and args not in (["CAPITALIZATION"], ["UPPER"], ["LOWER"]):
        raise invalid("FORMAT takes one of CAPITALIZATION, UPPER, LOWER")


class Validations:
    def __init__(self) -> None:
        self.rules: dict[tuple[str, str], dict[str, JSON]] = {}

    def put(self, obj: str, prop: JSON, rule: str, raw: Any) -> None:
        if rule not in SUPPORTED:
            raise invalid(f"Unknown ruleType {rule}")
        if not isinstance(raw, dict) or not isinstance(raw.get("ruleArguments"), list):
            raise invalid("Some required fields were not set: [ruleArguments]")
        args = [str(a) for a in raw["ruleArguments"]]
        kind = (prop["type"], prop["fieldType"])
        if not any(t == kind[0] and (f is None or f == kind[1]) for t, f in SUPPORTED[rule]):
            raise invalid(f"Rule type {rule} does not apply to {prop['name']} ({kind[0]}, {kind[1]})")
        _check_arguments(rule, args)
        stored: JSON = {"ruleType": rule, "ruleArguments": args}
        if "shouldApplyNormalization" in raw:
            stored["shouldApplyNormalization"] = bool(raw["shouldApplyNormalization"])
        self.rules.setdefault((obj, prop["name"]), {})[rule] = stored

    def for_property(self, obj: str, name: str) -> list[JSON]:
        found = self.rules.get((obj, name), {})
        return [{"ruleType": r["ruleType"], "ruleArguments": list(r["ruleArguments"])} for r in found.values()]

    def for_object(self, obj: str) -> list[JSON]:
        return [{"propertyName": name, "propertyValidationRules": self.for_property(o, name)}
                for (o, name), rules in sorted(self.rules.items()) if o == obj and rules]

    def rule(self, obj: str, name: str, rule: str) -> JSON:
        found = self.rules.get((obj, name), {}).get(rule)
        if found is None:
            raise not_found(f"No {rule} rule on property {name}")
        return copy.deepcopy(found)

    def drop_property(self, obj: str, name: str) -> None:
        self.rules.pop((obj, name), None)
