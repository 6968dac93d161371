"""The Metadata API contract: the XSD types of the WSDL bundled with simple-salesforce.

`XsdSchema` reads every complex type (with its base type and element order) and every enumeration,
then encodes components into XML text in schema order, filling required elements, and decodes
request elements into plain dicts, honouring `xsi:type` and refusing unknown elements the way
Salesforce does ("Element X invalid at this location in type Y").
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import simple_salesforce
from lxml import etree

MD_NS = "http://soap.sforce.com/2006/04/metadata"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
WSDL_PATH = Path(simple_salesforce.__file__).parent / "metadata.wsdl"


class SoapFault(Exception):
    """Answered as HTTP 500 with a soapenv:Fault; zeep raises it as zeep.exceptions.Fault."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class DecodeError(SoapFault):
    def __init__(self, message: str) -> None:
        super().__init__("soapenv:Client", message)


@dataclass(frozen=True)
class XsdField:
    name: str
    type: str  # local type name: "boolean", "int", "StandardValue", "FlowProcessType", ...
    builtin: bool  # an xsd: type
    required: bool
    many: bool


class XsdSchema:
    def __init__(self, path: Path) -> None:
        root = etree.parse(str(path)).getroot()
        schema = root.find(f"{{http://schemas.xmlsoap.org/wsdl/}}types/{{{XSD_NS}}}schema")
        assert schema is not None
        self._own: dict[str, tuple[str | None, tuple[XsdField, ...]]] = {}
        self._enums: dict[str, tuple[str, ...]] = {}
        for ct in schema.iterfind(f"{{{XSD_NS}}}complexType"):
            self._own[ct.get("name", "")] = self._read_complex(ct)
        for st in schema.iterfind(f"{{{XSD_NS}}}simpleType"):
            values = tuple(e.get("value", "") for e in st.iter(f"{{{XSD_NS}}}enumeration"))
            self._enums[st.get("name", "")] = values

    @staticmethod
    def _read_complex(ct: Any) -> tuple[str | None, tuple[XsdField, ...]]:
        ext = ct.find(f"{{{XSD_NS}}}complexContent/{{{XSD_NS}}}extension")
        base = ext.get("base", "").split(":")[-1] if ext is not None else None
        seq = (ext if ext is not None else ct).find(f"{{{XSD_NS}}}sequence")
        fields = []
        for el in seq.iterfind(f"{{{XSD_NS}}}element") if seq is not None else ():
            prefix, _, local = el.get("type", "xsd:string").rpartition(":")
            fields.append(
                XsdField(
                    el.get("name", ""),
                    local,
                    prefix == "xsd",
                    el.get("minOccurs", "1") != "0",
                    el.get("maxOccurs", "1") == "unbounded",
                )
            )
        return base, tuple(fields)

    def has_type(self, name: str) -> bool:
        return name in self._own

    def base(self, name: str) -> str | None:
        return self._own[name][0] if name in self._own else None

    def is_subtype(self, name: str, ancestor: str) -> bool:
        cur: str | None = name
        while cur is not None:
            if cur == ancestor:
                return True
            cur = self.base(cur)
        return False

    @functools.cache  # noqa: B019 - one schema per process, lives forever
    def fields(self, name: str) -> tuple[XsdField, ...]:
        """Fields of a complex type, base type first (XSD extension order)."""
        base, own = self._own[name]
        return (self.fields(base) if base else ()) + own

    @functools.cache  # noqa: B019
    def field_map(self, name: str) -> dict[str, XsdField]:
        return {f.name: f for f in self.fields(name)}

    def enum(self, name: str) -> tuple[str, ...]:
        return self._enums.get(name, ())

    # -- encoding ------------------------------------------------------------------------------
    def encode(self, tag: str, type_name: str, value: Any, *, xsi_type: bool = False) -> str:
        """One element as XML text (default namespace = metadata namespace)."""
        if type_name not in self._own:
            return f"<{tag}>{escape(_simple_text(type_name, value))}</{tag}>"
        parts: list[str] = []
        for f in self.fields(type_name):
            raw = value.get(f.name) if isinstance(value, dict) else None
            items = (raw if isinstance(raw, list) else [raw]) if raw is not None else []
            if not items and f.required:
                items = [self._default(f)]
            parts.extend(self.encode(f.name, f.type, item) for item in items)
        attr = f' xsi:type="tns:{type_name}"' if xsi_type else ""
        return f"<{tag}{attr}>{''.join(parts)}</{tag}>"

    def _default(self, f: XsdField) -> Any:
        """A placeholder for a required element the stored component lacks, so replies stay valid."""
        if f.type in self._own:
            return {}
        if f.builtin:
            return {
                "boolean": False,
                "int": 0,
                "long": 0,
                "double": 0.0,
                "dateTime": "1970-01-01T00:00:00.000Z",
            }.get(f.type, "")
        values = self.enum(f.type)
        return values[0] if values else ""

    # -- decoding ------------------------------------------------------------------------------
    def decode(self, el: Any, type_name: str) -> tuple[str, dict[str, Any] | None]:
        declared = el.get(f"{{{XSI_NS}}}type")
        if declared:
            prefix, _, local = declared.rpartition(":")
            if el.nsmap.get(prefix or None) != MD_NS or local not in self._own:
                raise DecodeError(f"Unable to find type {declared}")
            if not self.is_subtype(local, type_name):
                raise DecodeError(f"Type {local} is not a subtype of {type_name}")
            type_name = local
        if el.get(f"{{{XSI_NS}}}nil") == "true":
            return type_name, None
        fmap = self.field_map(type_name)
        out: dict[str, Any] = {}
        for child in el:
            if not isinstance(child.tag, str):
                continue  # comments, processing instructions
            local = etree.QName(child).localname
            f = fmap.get(local)
            if f is None or etree.QName(child).namespace != MD_NS:
                raise DecodeError(f"Element {{{MD_NS}}}{local} invalid at this location in type {type_name}")
            if f.type in self._own:
                val: Any = self.decode(child, f.type)[1]
            else:
                val = _parse_simple(f.type, child.text or "")
            if f.many:
                out.setdefault(local, []).append(val)
            else:
                out[local] = val
        return type_name, out


def _simple_text(type_name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if type_name == "double" and isinstance(value, int | float):
        return repr(float(value))
    return "" if value is None else str(value)


def _parse_simple(type_name: str, text: str) -> Any:
    try:
        if type_name == "boolean":
            if text.strip() not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return text.strip() in ("true", "1")
        if type_name in ("int", "long"):
            return int(text)
        if type_name == "double":
            return float(text)
    except ValueError:
        raise DecodeError(f"'{text}' is not a valid value for the type xsd:{type_name}") from None
    return text.strip()


@functools.cache
def schema() -> XsdSchema:
    return XsdSchema(WSDL_PATH)
