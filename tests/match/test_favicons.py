"""Favicon hashes from rapid7/recog's xml/favicons.xml (issue 13, item 1):
``signatures/fingerprints-favicons.yaml``.

The table below is typed from the record (recog commit 071d37e8, one row per hash, with the
recog <description> it sits under), not from the YAML: each hash alone must name the vendor and
the device type the record gives, the YAML must hold exactly these hashes, and none may fire on a
device that is not a camera. The last test runs a whole scan through the transport seam (no
socket) against a device whose page names no maker and whose /favicon.ico is some bytes."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import yaml

import scanner.probe.http as http_probe
from scanner.config import ScanConfig, Timeouts, VendorOptions
from scanner.lab.auth import LoginGuard
from scanner.lab.devices import DeviceSpec, ServiceSpec, favicon
from scanner.lab.httpd import HttpConfig, HttpRoute
from scanner.lab.runner import _handler
from scanner.match import SignatureSet, load_signatures
from scanner.models import DeviceType, Host, Protocol, ServiceResult
from scanner.pipeline import scan
from scanner.targets import resolve_targets
from scanner.transport import ScriptedDatagrams
from tests.corpus import fired_on_others, load_all
from tests.test_scripted_scan import MemoryLab, no_sockets

SIGS = load_signatures()
FILE = Path(__file__).resolve().parents[2] / "signatures" / "fingerprints-favicons.yaml"
DOC = yaml.safe_load(FILE.read_text(encoding="utf-8"))
FAVICON_IDS = frozenset(fp["id"] for fp in DOC["fingerprints"])
SOURCE = re.compile(r"Source: rapid7/recog xml/favicons\.xml \([^)]+")

CAMERA, RECORDER = DeviceType.CAMERA, DeviceType.RECORDER
# (hash, vendor id, device type, recog <description>)
RECORD = [
    ("a3fd8705f010b90e37d42128000f620b", "axis", CAMERA, "Axis Network Camera"),
    ("d9526978908979fa5018db0bcc762aa0", "mobotix", CAMERA, "Mobotix Network Camera"),
    ("89b932fcc47cf4ca3faadb0cfdef89cf", "hikvision", RECORDER, "Hikvision DVR"),
    ("efca7d9aeaad122133c65cdf628ac574", "hikvision", RECORDER, "Hikvision DVR"),
    ("0aee66dce5587fe6fad5ae2826501add", "ubiquiti", RECORDER, "UniFi NVR Software Portal"),
    ("842c79ab11f38323fc554afbea5c990a", "dlink", CAMERA, "D-Link Network Camera"),
    ("7de37347ff2f9277824b3e3cfe4a8ada", "trendnet", CAMERA, "TRENDnet IP Camera"),
    ("665f96fcdcc9da0ab89312acc02fa815", "iqinvision", CAMERA, "IQinVision IQeye Network Camera"),
    ("bd1b5fef10a0846b2db322b90a57b746", "teledyne-flir", CAMERA, "Teledyne FLIR IP Camera"),
    ("979d9a884c322862e6830f61e2c378e6", "genetec", CAMERA, "Genetec AutoVu SharpV ALPR Camera"),
]
# Icons of the same record that are not cameras' (left out on purpose): Ubiquiti WAP, Ubiquiti
# Cloud Key, AVTECH Environment Monitor (Room Alert), Bosch Alarm Panel, Synology DSM, Haivision
# Makito X Decoder, Crestron Video Conferencing.
NOT_CAMERAS = [
    "6dcab71e60f0242907940f0fcda69ea5",
    "9d35c5f8a9584ac36a716ae9b68fe566",
    "c205d6efb5f0e3c03ea42146d570ecdf",
    "24c58a3ffc0233ef6612f1a7c33729aa",
    "c60ea375c39d1ab273c4d1bee717287a",
    "3aeb94ff79c01d9b32b4ac4de8bd372d",
    "35c390dade9419b4d6e9b83a8fc361c7",
]


def _web(**fields: str) -> ServiceResult:
    return ServiceResult(80, Protocol.HTTP, fields=fields)


def _vendor_id(name: str | None) -> str | None:
    vendor = SIGS.vendor(name)
    return vendor.id if vendor else None


@pytest.mark.parametrize("fp", DOC["fingerprints"], ids=lambda fp: fp["id"])
def test_every_favicon_fingerprint_names_its_record_and_reads_only_the_hash(
    fp: dict[str, object],
) -> None:
    description = " ".join(str(fp["description"]).split())
    assert SOURCE.search(description), fp["id"]
    assert fp["device_type"] in ("camera", "recorder")
    assert 84 <= int(str(fp["weight"])) <= 90
    matchers = fp["match"]
    assert isinstance(matchers, list)
    assert {m["field"] for m in matchers} == {"http.favicon_md5"}
    assert "ports" not in fp  # the icon alone is the evidence


def test_the_file_holds_exactly_the_recorded_hashes() -> None:
    written = set()
    for fp in DOC["fingerprints"]:
        for matcher in fp["match"]:
            written |= set(re.findall(r"[0-9a-f]{32}", matcher["regex"]))
    assert written == {md5 for md5, *_ in RECORD}


@pytest.mark.parametrize(("md5", "vendor", "kind", "record"), RECORD, ids=[r[0] for r in RECORD])
def test_each_hash_alone_names_its_vendor(
    md5: str, vendor: str, kind: DeviceType, record: str
) -> None:
    # A page that names no maker: a bare login title, no Server header.
    for value in (md5, md5.upper()):  # nmap's favicon-db writes hashes in capitals
        got = SIGS.identify([_web(**{"http.title": "Login", "http.favicon_md5": value})], [80])
        assert _vendor_id(got.vendor) == vendor, record
        assert got.device_type is kind, record
        assert set(got.fingerprint_ids) & FAVICON_IDS, record


@pytest.mark.parametrize("md5", NOT_CAMERAS)
def test_the_records_other_icons_are_not_favicon_cameras(md5: str) -> None:
    got = SIGS.identify([_web(**{"http.favicon_md5": md5})], [80], nmap_db=False)
    assert not set(got.fingerprint_ids) & FAVICON_IDS


def test_a_near_miss_is_no_match() -> None:
    for md5, *_ in RECORD:
        near = md5[:-1] + ("0" if md5[-1] != "0" else "1")
        got = SIGS.identify([_web(**{"http.favicon_md5": near})], [80], nmap_db=False)
        assert not set(got.fingerprint_ids) & FAVICON_IDS, near


def test_no_favicon_fingerprint_fires_on_a_device_that_is_not_a_camera() -> None:
    assert len(load_all()[1]) > 500
    assert fired_on_others(SIGS, FAVICON_IDS) == []


def test_a_stronger_camera_banner_of_the_same_maker_decides_the_device_type() -> None:
    # The DVR icon weighs 84: Hikvision's camera web server (App-webs/, 85) keeps the type.
    got = SIGS.identify(
        [_web(**{"http.server": "App-webs/", "http.favicon_md5": RECORD[2][0]})], [80]
    )
    assert _vendor_id(got.vendor) == "hikvision"
    assert got.device_type is CAMERA
    assert "hikvision-dvr-favicon" in got.fingerprint_ids


# --- the probe and match path, through the transport seam ---------------------------------------

IP = "127.77.41.5"
ICON = favicon((0x12, 0x34, 0x56))  # a valid 1x1 icon; its MD5 is not in any record
PAGE = b"<!DOCTYPE html><html><head><title>Login</title></head><body></body></html>"


def _anonymous_device() -> MemoryLab:
    http = HttpConfig(
        server=None,
        routes=(
            HttpRoute("/", body=PAGE),
            HttpRoute("/favicon.ico", body=ICON, content_type="image/x-icon"),
        ),
    )
    service = ServiceSpec(80, Protocol.HTTP, http)
    spec = DeviceSpec(
        key="anonymous",
        name="a web page that names no maker",
        ip=IP,
        vendor=None,
        model=None,
        firmware=None,
        device_type=DeviceType.CAMERA,
        description="serves only a title and an icon",
        problems=(),
        expected_findings=(),
        credentials={},
        services=(service,),
    )
    return MemoryLab({(IP, 80): _handler(spec, service, 80, LoginGuard(None))})


async def _scan(
    signatures: SignatureSet, monkeypatch: pytest.MonkeyPatch
) -> tuple[ServiceResult, Host]:
    connector = _anonymous_device()
    config = ScanConfig(
        targets=(IP,),
        target_specs=(IP,),
        ports=(80,),
        timeouts=Timeouts(credential_pause=0.0),
        vendor=VendorOptions(timeout=0.2),
        scope=resolve_targets([IP]).ranges,
    )
    try:
        with no_sockets(monkeypatch) as attempts:
            report = await scan(
                config, signatures, [IP], 1, connector=connector, datagrams=ScriptedDatagrams({})
            )
    finally:
        await connector.close()
    assert attempts == []
    (host,) = report.hosts
    (web,) = [s for s in host.services if s.protocol == "http"]
    return web, host


@pytest.mark.asyncio
async def test_the_probe_records_the_md5_of_the_raw_icon_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    web, host = await _scan(SIGS, monkeypatch)
    assert web.fields["http.favicon_md5"] == hashlib.md5(ICON).hexdigest()
    assert host.identification.vendor is None  # an icon nobody recorded names nobody


@pytest.mark.asyncio
async def test_a_recorded_icon_names_the_maker_of_a_page_that_names_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No bytes can be made to hash to Axis's recorded MD5, so this test stands the lab's icon in
    # for Axis's: the hash function answers Axis's hash for exactly these bytes (the test above
    # pins the real function on the same path). Everything else -- the HTTP exchange, the
    # evidence field, the shipped fingerprint, the report -- is the real path.
    real = http_probe.favicon_md5
    axis = RECORD[0][0]
    monkeypatch.setattr(
        http_probe, "favicon_md5", lambda data: axis if data == ICON else real(data)
    )
    web, host = await _scan(SIGS, monkeypatch)
    assert web.fields["http.favicon_md5"] == axis
    assert _vendor_id(host.identification.vendor) == "axis"
    assert host.identification.device_type is CAMERA
    assert "axis-favicon" in host.identification.fingerprint_ids
    assert any(
        line.startswith("fingerprint axis-favicon:") for line in host.identification.identified_by
    )
