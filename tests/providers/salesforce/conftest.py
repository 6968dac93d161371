"""Fixtures for the Salesforce provider tests: one emulator per module, a workspace pointed at it.

Every test drives the real simple-salesforce client (REST over requests, Metadata SOAP over zeep)
over HTTPS on 127.0.0.1 against tests/emulators/salesforce.py; nothing in the client is patched.
The emulator is shared by the tests of a module and reset to its seeded org before each test
(building a client parses the Metadata WSDL, ~0.3 s; a reset costs milliseconds).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from crmconf_salesforce import SalesforceProvider

from crmconf.engine import plan as engine_plan
from crmconf.engine.apply import Report, apply_plan, verify
from crmconf.engine.changes import Plan
from crmconf.engine.journal import Journal
from crmconf.engine.resource import Compiled
from crmconf.providers import ProviderContext
from crmconf.validation import require_valid
from tests.emulators.salesforce import SalesforceEmulator
from tests.emulators.salesforce_wsdl import schema_exchange_errors

REPO = Path(__file__).resolve().parents[3]
TARGET = "salesforce-prod"
TODAY = date(2026, 11, 23)
SESSION_ENV, CA_ENV = "SF_SESSION_ID", "SF_CA_BUNDLE"
# The owners specs/automations.yaml names: made active Salesforce users after each reset.
SPEC_OWNERS = ("devon.price@acme.example", "maria.lopez@acme.example", "sam.okafor@acme.example",
               "lena.fischer@acme.example")


@pytest.fixture(scope="module")
def server() -> Iterator[SalesforceEmulator]:
    """Every SOAP request crmconf sends and every reply it gets, in every test of the module (fault
    campaigns and fuzzing included), is checked against the bundled metadata.wsdl as it happens."""
    with SalesforceEmulator() as emulator:
        emulator.soap_checker = schema_exchange_errors
        yield emulator
        assert_wsdl_valid(emulator)


def assert_wsdl_valid(emu: SalesforceEmulator) -> None:
    invalid, emu.soap_invalid = emu.soap_invalid, []
    assert not invalid, f"{len(invalid)} SOAP exchange(s) stray from metadata.wsdl:\n" + "\n".join(invalid)


def add_spec_owners(emu: SalesforceEmulator) -> None:
    for email in SPEC_OWNERS:
        first, last = email.split("@")[0].split(".")
        emu.add_record("User", {"Username": email, "Email": email, "FirstName": first.title(),
                                "LastName": last.title(), "IsActive": True})


@pytest.fixture
def emu(server: SalesforceEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesforceEmulator]:
    """The shared emulator, reset; the test fails if any of its SOAP exchanges strays from the WSDL."""
    server.reset()
    add_spec_owners(server)
    server.requests.reset()
    monkeypatch.setenv(SESSION_ENV, server.session_id)
    monkeypatch.setenv(CA_ENV, server.ca_path)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    try:
        yield server
        assert_wsdl_valid(server)
    finally:
        server.reset()


def settings(emu: SalesforceEmulator) -> dict[str, str]:
    return {"instance_url": emu.instance_url, "session_env": SESSION_ENV, "ca_bundle_env": CA_ENV}


def copy_specs(root: Path, emu: SalesforceEmulator) -> Path:
    """specs/ in a temporary folder, its salesforce-prod target pointed at the emulator."""
    shutil.copytree(REPO / "specs", root, ignore=shutil.ignore_patterns(".crmconf"))
    config = root / "crmconf.yaml"
    text = config.read_text()
    text = text.replace('instance_url: "https://acme.my.salesforce.com"',
                        f'instance_url: "{emu.instance_url}"\n      ca_bundle_env: {CA_ENV}')
    assert emu.instance_url in text
    config.write_text(text)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def converging_specs(root: Path, emu: SalesforceEmulator) -> Path:
    """specs/ adjusted so one apply can converge on the seeded org, and exercising every concern:

    - New Business keeps the seeded process: its six old stages move to new ones (migrate_to), and
      Negotiation takes the live value Negotiation/Review at a new probability;
    - Deal Type keeps the live picklist values (records use them), so no value is removed;
    - the bound welcome_sequence flow (New_Customer_Onboarding) gets a new description and is
      switched off.
    """
    copy_specs(root, emu)
    pipeline = root / "pipelines" / "new-business.yaml"
    edit(pipeline, "        label: Negotiation\n", "        label: Negotiation/Review\n")
    moves = ("    migrate_to: {prospecting: discovery, qualification: discovery, needs_analysis: demo, "
             "value_proposition: demo, proposal_price_quote: proposal}\n")
    text = pipeline.read_text()
    if "    migrate_to: {qualification: discovery}\n" in text:  # the example already retires one stage
        pipeline.write_text(text.replace("    migrate_to: {qualification: discovery}\n", moves))
    else:
        pipeline.write_text(text.replace("    stages:\n", moves + "    stages:\n", 1))
    deal = root / "fields" / "deal.yaml"
    edit(deal, "        - {value: new_business, label: New Business}\n", "        - {value: New Business}\n")
    edit(deal, "        - {value: expansion, label: Expansion}\n", "        - {value: Expansion}\n")
    edit(deal, "        - {value: renewal, label: Renewal}\n", "        - {value: Renewal}\n")
    automations = root / "automations.yaml"
    edit(automations, "    owner: lena.fischer@acme.example\n",
         "    owner: lena.fischer@acme.example\n    status: inactive\n")
    return root


def provider_for(emu: SalesforceEmulator, root: Path, **extra: str | float) -> SalesforceProvider:
    return SalesforceProvider(ProviderContext(TARGET, {**settings(emu), **extra}, root))


def small_workspace(root: Path, emu: SalesforceEmulator, body: str) -> Path:
    """A workspace of one spec file (`body`) with the salesforce-prod target pointed at the emulator."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "crmconf.yaml").write_text(
        "version: 1\ndefault_target: salesforce-prod\ntargets:\n  salesforce-prod:\n    provider: salesforce\n"
        f"    settings:\n      instance_url: \"{emu.instance_url}\"\n      session_env: {SESSION_ENV}\n"
        f"      ca_bundle_env: {CA_ENV}\npolicies: {{require_automation_owner: false}}\n")
    (root / "spec.yaml").write_text(body)
    return root


def make_plan(provider: SalesforceProvider, root: Path) -> tuple[Plan, Compiled]:
    ws = require_valid(root, TODAY)
    plan, compiled, _ = engine_plan.make_plan(ws, TARGET, provider)
    return plan, compiled


def apply_all(provider: SalesforceProvider, root: Path) -> Report:
    """Plan, apply everything (destructive included) and verify by re-reading, as `crmconf apply` does."""
    plan, compiled = make_plan(provider, root)
    assert not plan.errors, [d.message for d in plan.errors]
    report = apply_plan(plan, provider, Journal(root / ".crmconf" / "journal.jsonl"))
    return verify(report, provider.fetch(engine_plan.kinds_of(compiled, provider)))
