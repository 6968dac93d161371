"""Metadata SOAP API of the Salesforce emulator: envelopes, faults and the operations.

The WSDL bundled with simple-salesforce is the contract (see salesforce_xsd.py): requests are
decoded and responses encoded through its types, so a strict zeep client parses every reply.
Per-type behaviour (what may be created, validated, deleted) lives in salesforce_mdtypes.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from tests.emulators import salesforce_staticresource  # noqa: F401  (registers StaticResource in KINDS)
from tests.emulators.salesforce_mdtypes import KINDS, Kind, WriteResult, describe_objects, file_properties
from tests.emulators.salesforce_org import Org
from tests.emulators.salesforce_xsd import MD_NS, XSI_NS, DecodeError, SoapFault, schema

SOAPENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
MAX_COMPONENTS = 10  # per CRUD call (CustomMetadata / CustomApplication allow 200; not emulated)
MAX_LIST_QUERIES = 3


# ---------------------------------------------------------------------------------------------
# Envelopes
# ---------------------------------------------------------------------------------------------


def envelope(body: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAPENV_NS}" xmlns="{MD_NS}" xmlns:tns="{MD_NS}" '
        f'xmlns:xsi="{XSI_NS}">'
        f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    )


def fault_envelope(code: str, message: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAPENV_NS}" xmlns:sf="{MD_NS}"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>{escape(code)}</faultcode><faultstring>{escape(message)}</faultstring>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )


def sf_fault(code: str, message: str) -> SoapFault:
    """A Salesforce API fault: faultcode sf:CODE, faultstring "CODE: message"."""
    return SoapFault(f"sf:{code}", f"{code}: {message}")


@dataclass
class SoapCall:
    operation: str
    session_id: str | None
    body: Any  # the operation element


def parse_request(raw: bytes) -> SoapCall:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise DecodeError(f"Unable to parse the request: {exc}") from None
    body = root.find(f"{{{SOAPENV_NS}}}Body")
    op = next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None
    if root.tag != f"{{{SOAPENV_NS}}}Envelope" or op is None:
        raise DecodeError("Unable to find a SOAP Body with an operation element")
    session = root.findtext(f"{{{SOAPENV_NS}}}Header/{{{MD_NS}}}SessionHeader/{{{MD_NS}}}sessionId")
    return SoapCall(etree.QName(op).localname, session, op)


# ---------------------------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------------------------


def _texts(op: Any, name: str) -> list[str]:
    return [(c.text or "").strip() for c in op if isinstance(c.tag, str) and etree.QName(c).localname == name]


def _kind(type_name: str) -> Kind | None:
    return KINDS.get(type_name)


class MetadataService:
    def __init__(self, org: Org) -> None:
        self.org = org
        self.schema = schema()
        self._ops: dict[str, Callable[[Any, bool], str]] = {
            "readMetadata": self.read_metadata,
            "upsertMetadata": lambda op, partial: self._write("upsertMetadata", op, partial),
            "createMetadata": lambda op, partial: self._write("createMetadata", op, partial),
            "updateMetadata": lambda op, partial: self._write("updateMetadata", op, partial),
            "deleteMetadata": self.delete_metadata,
            "listMetadata": self.list_metadata,
            "describeMetadata": self.describe_metadata,
        }

    def call(self, call: SoapCall, *, partial: bool = False) -> str:
        handler = self._ops.get(call.operation)
        if handler is None:
            raise DecodeError(f"No operation available for request {{{MD_NS}}}{call.operation}")
        with self.org.lock:
            return envelope(handler(call.body, partial))

    # -- readMetadata --------------------------------------------------------------------------
    def _check_type(self, type_name: str) -> None:
        if (
            not self.schema.has_type(type_name)
            or not self.schema.is_subtype(type_name, "Metadata")
            or type_name == "Metadata"
        ):
            raise sf_fault("INVALID_TYPE", "This type of metadata is not available for this organization")

    def read_metadata(self, op: Any, _partial: bool) -> str:
        type_name = (_texts(op, "type") or [""])[0]
        names = _texts(op, "fullNames")
        self._check_type(type_name)
        _check_count(len(names))
        kind = _kind(type_name)
        records = []
        for name in names:
            comp = kind.read(self.org, name) if kind else None
            # A missing component is an empty record of the type, without a fullName: `records` is
            # not nillable in the WSDL. (Salesforce sends it bare; required elements are filled with
            # neutral values here so the reply stays schema-valid. Clients must look at fullName.)
            records.append(self.schema.encode("records", type_name, comp or {}, xsi_type=True))
        return f"<readMetadataResponse><result>{''.join(records)}</result></readMetadataResponse>"

    # -- create / update / upsert --------------------------------------------------------------
    def _components(self, op: Any) -> list[tuple[str, dict[str, Any]]]:
        items = [c for c in op if isinstance(c.tag, str) and etree.QName(c).localname == "metadata"]
        _check_count(len(items))
        decoded = [self.schema.decode(item, "Metadata") for item in items]
        types = {t for t, _ in decoded}
        if "Metadata" in types:
            raise DecodeError("Each metadata element needs an xsi:type naming a concrete metadata type")
        if len(types) > 1:
            raise sf_fault(
                "INVALID_TYPE",
                f"All components in one call must be of the same type, got: {', '.join(sorted(types))}",
            )
        for t in types:
            self._check_type(t)
        return [(t, c or {}) for t, c in decoded]

    def _write(self, operation: str, op: Any, partial: bool) -> str:
        results = []
        for i, (type_name, comp) in enumerate(self._components(op)):
            name = str(comp.get("fullName", ""))
            kind = _kind(type_name)
            if partial and i % 2 == 1:
                result = WriteResult.failed(
                    name,
                    "UNKNOWN_EXCEPTION",
                    "An unexpected error occurred. Please include this ErrorId if you contact support: "
                    "1949367141-10482 (-1300589387)",
                )
            elif kind is None:
                result = WriteResult.failed(
                    name,
                    "INVALID_TYPE",
                    f"Cannot {operation[:-8]} components of type {type_name} in this emulator",
                )
            else:
                result = kind.write(self.org, comp, operation)
            results.append(result)
        result_type = "UpsertResult" if operation == "upsertMetadata" else "SaveResult"
        body = "".join(self.schema.encode("result", result_type, r.as_dict()) for r in results)
        return f"<{operation}Response>{body}</{operation}Response>"

    # -- deleteMetadata ------------------------------------------------------------------------
    def delete_metadata(self, op: Any, partial: bool) -> str:
        type_name = (_texts(op, "type") or [""])[0]
        names = _texts(op, "fullNames")
        self._check_type(type_name)
        _check_count(len(names))
        kind = _kind(type_name)
        results = []
        for i, name in enumerate(names):
            if partial and i % 2 == 1:
                results.append(WriteResult.failed(name, "UNKNOWN_EXCEPTION", "An unexpected error occurred."))
            elif kind is None:
                results.append(WriteResult.failed(name, "INVALID_TYPE", f"Cannot delete {type_name} here"))
            else:
                results.append(kind.delete(self.org, name))
        body = "".join(self.schema.encode("result", "DeleteResult", r.as_dict()) for r in results)
        return f"<deleteMetadataResponse>{body}</deleteMetadataResponse>"

    # -- listMetadata / describeMetadata -------------------------------------------------------
    def list_metadata(self, op: Any, _partial: bool) -> str:
        queries = [
            self.schema.decode(q, "ListMetadataQuery")[1] or {}
            for q in op
            if isinstance(q.tag, str) and etree.QName(q).localname == "queries"
        ]
        if len(queries) > MAX_LIST_QUERIES:
            raise sf_fault(
                "EXCEEDED_ID_LIMIT", f"cannot submit more than {MAX_LIST_QUERIES} queries in listMetadata"
            )
        body = []
        for q in queries:
            kind = _kind(str(q.get("type", "")))
            for props in file_properties(self.org, kind) if kind else []:
                body.append(self.schema.encode("result", "FileProperties", props))
        return f"<listMetadataResponse>{''.join(body)}</listMetadataResponse>"

    def describe_metadata(self, _op: Any, _partial: bool) -> str:
        result = {
            "metadataObjects": describe_objects(),
            "organizationNamespace": "",
            "partialSaveAllowed": True,
            "testRequired": False,
        }
        encoded = self.schema.encode("result", "DescribeMetadataResult", result)
        return f"<describeMetadataResponse>{encoded}</describeMetadataResponse>"


def _check_count(n: int) -> None:
    if n > MAX_COMPONENTS:
        raise sf_fault(
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {MAX_COMPONENTS} records in this operation",
        )
