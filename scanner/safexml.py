"""One way to read XML that a device, a router or a user's file sent.

defusedxml refuses entity expansion, external references and (by default) DTDs. What else can go
wrong is a closed list, caught here once so that no reader forgets a case: malformed XML
(ParseError), a refused construct (DefusedXmlException), text that cannot be decoded (ValueError),
an encoding the declaration names but Python does not know (LookupError, e.g. "U-F-8", found by
hypothesis in the SADP parser), and nesting deep enough to exhaust the stack (RecursionError).
Each reader turns :class:`XmlError` into its own error type.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

__all__ = ["XmlError", "read_xml"]


class XmlError(ValueError):
    """The bytes are not usable XML; ``str()`` names what went wrong (the exception's class)."""


def read_xml(data: bytes, *, forbid_dtd: bool = True) -> Element:
    """The document's root element, or :class:`XmlError`."""
    try:
        root: Element = fromstring(data, forbid_dtd=forbid_dtd)
    except RecursionError:
        raise XmlError("nested too deeply") from None
    except (ParseError, DefusedXmlException, ValueError, LookupError) as exc:
        raise XmlError(type(exc).__name__) from None
    return root
