"""Every Metadata API message, request and reply, checked against the WSDL bundled with simple-salesforce.

The WSDL is loaded from the installed package at test time (never copied into the project). Two
checks, because each catches what the other misses:

- `schema_errors`: the operation element of a SOAP body (and every SOAP header) validated by lxml
  against the XSD inside the WSDL: element order, required elements, enumerations (status codes,
  forecast categories, flow enums), xsi:type derivation, nillability. Applies to what crmconf sends
  through zeep as much as to what the emulator answers.
- `strict_parse`: a reply decoded by a zeep client built with strict=True from the same WSDL, as
  simple-salesforce decodes it on the wire (faults included). Five times slower than the schema:
  the emulator's own tests run it on every reply; the provider tests, whose many exchanges the
  non-strict client decodes anyway, run the schema check alone (`schema_exchange_errors`).

`check_exchanges(emu)` runs both over every exchange an emulator recorded (`record_soap = True`) and
returns the number checked; it raises with every failure at once.
"""

from __future__ import annotations

import copy
import functools
import logging
import re
from typing import TYPE_CHECKING, Any

import requests
import zeep
import zeep.exceptions
from lxml import etree

from tests.emulators.salesforce_xsd import MD_NS, WSDL_PATH, XSD_NS

if TYPE_CHECKING:
    from tests.emulators.salesforce import SalesforceEmulator, SoapExchange

SOAPENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
MD_BINDING = f"{{{MD_NS}}}MetadataBinding"
_FAULT_CODE = re.compile(r"(sf|soapenv):\w+")


@functools.cache
def xml_schema() -> etree.XMLSchema:
    """The XSD of metadata.wsdl as an lxml schema (its QNames need the WSDL root's prefixes in scope)."""
    root = etree.parse(str(WSDL_PATH)).getroot()
    schema = root.find(f"{{{WSDL_NS}}}types/{{{XSD_NS}}}schema")
    assert schema is not None, f"no XSD in {WSDL_PATH}"
    nsmap = {k: v for k, v in {**root.nsmap, **schema.nsmap}.items() if k is not None}
    standalone = etree.Element(schema.tag, attrib=dict(schema.attrib), nsmap=nsmap)
    for child in schema:
        standalone.append(copy.deepcopy(child))
    return etree.XMLSchema(etree.fromstring(etree.tostring(standalone)))


@functools.cache
def strict_client() -> zeep.Client:
    return zeep.Client(WSDL_PATH.as_uri(), settings=zeep.Settings(strict=True))


def _elements(parent: Any) -> list[Any]:
    return [c for c in parent if isinstance(c.tag, str)] if parent is not None else []


def schema_errors(message: bytes) -> list[str]:
    """What the WSDL's schema finds wrong in one SOAP envelope (empty when it is valid)."""
    try:
        root = etree.fromstring(message, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return [f"not XML: {exc}"]
    if root.tag != f"{{{SOAPENV_NS}}}Envelope":
        return [f"not a SOAP envelope: {root.tag}"]
    body = root.find(f"{{{SOAPENV_NS}}}Body")
    parts = _elements(root.find(f"{{{SOAPENV_NS}}}Header")) + _elements(body)
    if not _elements(body):
        return ["the SOAP body is empty"]
    errors: list[str] = []
    schema = xml_schema()
    for part in parts:
        if part.tag == f"{{{SOAPENV_NS}}}Fault":
            codes = [c.text or "" for c in part if etree.QName(c).localname == "faultcode"]
            if not codes or not _FAULT_CODE.fullmatch(codes[0].strip()) or part.find("faultstring") is None:
                errors.append("a fault without a sf:/soapenv: faultcode and a faultstring")
            continue
        # A copy as its own document keeps the in-scope prefixes (xsi:type="tns:X") resolvable.
        alone = etree.fromstring(etree.tostring(part))
        if not schema.validate(alone):
            name = etree.QName(part).localname
            errors.extend(f"{name}: line {e.line}: {e.message}" for e in schema.error_log)  # type: ignore[attr-defined]
    return errors


class _ZeepErrors(logging.Handler):
    """zeep logs (instead of raising) some conversion errors; count them as failures."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def strict_parse(exchange: SoapExchange) -> Any:
    """Parse one recorded reply exactly as zeep does on the wire, with strict=True."""
    client = strict_client()
    binding = client.wsdl.bindings[MD_BINDING]
    operation = binding.get(exchange.operation or "readMetadata")
    response = requests.Response()
    response.status_code = exchange.status
    response._content = exchange.body
    response.headers["Content-Type"] = exchange.content_type
    handler = _ZeepErrors()
    zeep_log = logging.getLogger("zeep")
    zeep_log.addHandler(handler)
    try:
        if exchange.status == 200:
            result = binding.process_reply(client, operation, response)
        else:
            try:
                binding.process_reply(client, operation, response)
            except zeep.exceptions.Fault as fault:
                if not _FAULT_CODE.fullmatch(fault.code or ""):
                    raise AssertionError(f"fault code {fault.code!r}") from None
                result = fault
            else:
                raise AssertionError(f"HTTP {exchange.status} decoded as a result, not a fault")
    finally:
        zeep_log.removeHandler(handler)
    if handler.messages:
        raise AssertionError(handler.messages)
    return result


def schema_exchange_errors(exchange: SoapExchange) -> list[str]:
    """What the WSDL's schema finds wrong with one exchange's request and reply (about 1 ms)."""
    problems = [f"request: {e}" for e in schema_errors(exchange.request)] if exchange.request else []
    return problems + [f"reply: {e}" for e in schema_errors(exchange.body)]


def exchange_errors(exchange: SoapExchange) -> list[str]:
    """Every problem with one recorded exchange: the schema's, then a strict zeep decode's (~5 ms)."""
    problems = schema_exchange_errors(exchange)
    try:
        strict_parse(exchange)
    except Exception as exc:  # collect, never stop at the first
        problems.append(f"reply (strict zeep): {exc!r}")
    return problems


def check_exchanges(emu: SalesforceEmulator) -> int:
    """Validate every recorded exchange; raise listing all that fail. Returns how many were checked."""
    failures = []
    for ex in emu.soap_exchanges:
        problems = exchange_errors(ex)
        if problems:
            failures.append(f"{ex.operation} HTTP {ex.status}:\n  " + "\n  ".join(problems)
                            + f"\n  request {ex.request[:400]!r}\n  reply {ex.body[:400]!r}")
    if failures:
        raise AssertionError(f"{len(failures)} of {len(emu.soap_exchanges)} SOAP exchanges stray from "
                             "metadata.wsdl:\n" + "\n".join(failures))
    return len(emu.soap_exchanges)
