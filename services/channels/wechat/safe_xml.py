"""Reading WeChat's XML safely: defusedxml, no DTDs, no entities, no external references."""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from services.channels.reasons import FORBIDDEN_XML, MALFORMED_XML
from services.ingest.rejections import Rejection

MAX_FIELDS = 100


def _flatten(element: Element, prefix: str, into: dict[str, str]) -> None:
    for child in element:
        name = prefix + child.tag
        if len(child):
            _flatten(child, f"{name}.", into)  # e.g. SendLocationInfo.Location_X
        else:
            into[name] = (child.text or "").strip()


def parse_xml(body: bytes) -> dict[str, str] | Rejection:
    """The `<xml>` root's fields as strings (nested ones as `Parent.Child`), or a 400."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        message = f"XML with a DTD, entities or external references is refused ({error})"
        return Rejection(FORBIDDEN_XML, "", message)
    except ParseError as error:
        return Rejection(MALFORMED_XML, "", f"malformed XML: {error}")
    if root.tag != "xml":
        return Rejection(MALFORMED_XML, "", f"the root element must be <xml>, not <{root.tag}>")
    fields: dict[str, str] = {}
    _flatten(root, "", fields)
    if len(fields) > MAX_FIELDS:
        return Rejection(MALFORMED_XML, "", f"more than {MAX_FIELDS} fields")
    return fields


def required(fields: dict[str, str], *names: str) -> Rejection | None:
    """A 400 naming the first element that is missing or empty."""
    for name in names:
        if not fields.get(name):
            where = f"/xml/{name}"
            return Rejection(MALFORMED_XML, where, f"{where}: element is missing or empty")
    return None
