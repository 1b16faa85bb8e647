"""Every XML reader turns a declaration naming an unknown encoding into its own error.

expat looks up the encoding an XML declaration names and raises LookupError for one it does
not know ("U-F-8"), which no reader caught: hypothesis found it first in vendor discovery's
SADP parser by mutating a real answer (tests/discover/vendor/test_frames.py), and the same
``except`` clause stood in every reader of device XML.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scanner.discover import ssdp, wsdiscovery
from scanner.discover.vendor.frames import FrameError, parse_xml
from scanner.probe.onvif import OnvifError, parse_answer
from scanner.router import igd

BAD = b'<?xml version="1.0" encoding="U-F-8"?><root><a>1</a></root>'

READERS: list[tuple[str, Callable[[bytes], object], type[Exception]]] = [
    ("vendor discovery (SADP, Bosch)", parse_xml, FrameError),
    ("ONVIF answer", parse_answer, OnvifError),
    ("UPnP device description", ssdp.parse_description, ValueError),
    ("IGD description", lambda d: igd.parse_igd_description(d, "http://127.0.0.1/"), ValueError),
    ("IGD service description", igd.parse_scpd, ValueError),
]


@pytest.mark.parametrize(("name", "read", "error"), READERS, ids=[r[0] for r in READERS])
def test_unknown_encoding_is_the_readers_own_error(
    name: str, read: Callable[[bytes], object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        read(BAD)


def test_ws_discovery_drops_it() -> None:
    assert wsdiscovery.parse_wsd(BAD) is None
