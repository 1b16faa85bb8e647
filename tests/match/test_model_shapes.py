"""Model-number shapes of the families issue 13 item 3 added to signatures/identify/models.yaml.

Each shape is tried with two model numbers the maker's manual prints (the page is the shape's
``source`` or named beside it in models.yaml), each carried in a different field a device
volunteers (a title, a realm, a UPnP model, a Telnet greeting), and with one near miss: a string of
like shape from another kind of device, or a neighbouring number the family does not use. The
last test runs every shape over the corpus of devices that are not cameras."""

from __future__ import annotations

import pytest

from scanner.match import load_signatures
from scanner.models import DeviceType, Identification, Protocol, ServiceResult
from tests.corpus import load_all

SIGS = load_signatures()
CAMERA, RECORDER = DeviceType.CAMERA, DeviceType.RECORDER


def _title(text: str) -> ServiceResult:
    return ServiceResult(80, Protocol.HTTP, fields={"http.status": "200", "http.title": text})


def _realm(text: str) -> ServiceResult:
    return ServiceResult(80, Protocol.HTTP, fields={"http.status": "401", "http.realm": text})


def _upnp(text: str) -> ServiceResult:
    return ServiceResult(0, Protocol.SSDP, fields={"ssdp.model_name": text})


def _telnet(text: str) -> ServiceResult:
    return ServiceResult(
        23,
        Protocol.TELNET,
        fields={"telnet.banner": f"{text}\r\nlogin:", "telnet.prompt": "login:"},
    )


def _identify(service: ServiceResult) -> Identification:
    ports = [service.port] if service.port else []
    return SIGS.identify([service], ports, nmap_db=False)


def _vendor_id(name: str | None) -> str | None:
    vendor = SIGS.vendor(name)
    return vendor.id if vendor else None


# vendor, kind, two real model numbers (source in models.yaml), a near miss that must not match
SHAPES = [
    ("provision", RECORDER, "SH-8100A5N-8L", "SH-16200A5-5L", "SH-8100 Series Switch"),
    ("abus", CAMERA, "TVIP41550", "TVIP32500", "TVIP-Box 2000"),
    ("dallmeier", CAMERA, "DDF4820HDV-DN", "DDF4220HDV", "DDF4820 controller"),
    ("dallmeier", RECORDER, "DMS 240 HSR", "DMS 80", "DMS 8000 document server"),
    ("qsee", RECORDER, "QC40198", "QC40196", "QCA9558 router"),
    ("qsee", RECORDER, "QSC26404", "QSC26404 Net DVR", "QSC-2640 audio amplifier"),
    ("speco", CAMERA, "O4VLB5", "O8B6M", "O4 Broadband Gateway"),
    ("honeywell", RECORDER, "HD-DVR-1008", "HD-DVR-1016", "HD-DVR-2000 set-top box"),
    ("honeywell", RECORDER, "HRHD16+", "HRHD4+", "HRHD16 cable"),
    ("digital-watchdog", RECORDER, "DW-BJRR2PxxTLX", "DW-BJAIARA2", "DW-BJ Series"),
    ("hanwha", RECORDER, "SHR-6164", "SHR-3010P", "SHR-120 shredder"),
    ("zmodo", RECORDER, "ZMD-DT-SJN6", "ZMD-DC-SBN6", "ZMD-DT viewer"),
    ("avigilon", RECORDER, "HD-NVR4-STD-16TB", "HD-NVR4-STD-48TB", "HD-NVR4 rack rails"),
    ("avycon", RECORDER, "AVR-HT504A-10T", "AVR-HT504A-2T", "DENON AVR-X3600H"),
    ("american-dynamics", RECORDER, "VideoEdge NVR", "VideoEdge Appliance", "VideoEdge 4.5"),
    ("verint", CAMERA, "Nextiva S1808e-A", "S2800e", "Galaxy S1808 tablet"),
]
WRAPS = (_title, _realm, _upnp, _telnet)


@pytest.mark.parametrize(
    ("vendor", "kind", "first", "second", "near"), SHAPES, ids=[s[2] for s in SHAPES]
)
def test_a_model_number_names_its_maker_and_kind(
    vendor: str, kind: DeviceType, first: str, second: str, near: str
) -> None:
    index = SHAPES.index((vendor, kind, first, second, near))
    for n, model in enumerate((first, second)):
        wrap = WRAPS[(index + n) % len(WRAPS)]
        got = _identify(wrap(model))
        assert _vendor_id(got.vendor) == vendor, (model, wrap.__name__, got.identified_by)
        assert got.device_type is kind, (model, wrap.__name__, got.identified_by)
        assert any("carries model number" in line for line in got.identified_by), model
    miss = _identify(_title(near))
    assert not any("carries model number" in line for line in miss.identified_by), near


def test_the_new_shapes_name_only_known_vendors() -> None:
    known = {v.id for v in SIGS.vendors}
    assert {vendor for vendor, *_ in SHAPES} <= known


def test_no_model_shape_calls_a_device_that_is_not_a_camera_one() -> None:
    others = load_all()[1]
    assert len(others) > 500
    wrong = []
    for device in others:
        ports = sorted({s.port for s in device.services if s.port} | set(device.open_ports))
        got = SIGS.identify(list(device.services), ports, device.host or None, nmap_db=False)
        if got.device_type in (CAMERA, RECORDER) and any(
            "carries model number" in line for line in got.identified_by
        ):
            wrong.append((device.id, got.identified_by))
    assert wrong == []


def test_honeywell_hen_is_a_recorder() -> None:
    # HEN04101(X): Honeywell's Performance Series Network Video Recorder (its user guide,
    # 800-18160 B, https://www.easymanua.ls/honeywell/hen04101-x/manual?p=188)
    got = SIGS.identify(
        [ServiceResult(80, Protocol.HTTP, fields={"http.status": "200", "http.title": "HEN04101"})],
        [80],
        nmap_db=False,
    )
    assert got.device_type is DeviceType.RECORDER, got.identified_by
