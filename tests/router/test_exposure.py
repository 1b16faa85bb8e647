"""Tying forwards and cloud paths to the scan's findings: pure, from hand-built hosts."""

from __future__ import annotations

import pytest

from scanner.match.loader import load_signatures, load_text
from scanner.models import (
    Confidence,
    DeviceType,
    ExposureKind,
    Finding,
    Host,
    Identification,
    InternetExposure,
    PortForward,
    Protocol,
    RouterReading,
    RouterStatus,
    ServiceResult,
    Severity,
)
from scanner.report.risk import score_host
from scanner.router.exposure import (
    FORWARD_FINDING,
    ROUTER_FINDING,
    UDP_NOT_PROBED,
    build_exposure,
    reach,
)

GW = "192.168.1.1"
CAM = "192.168.1.13"


def finding(fid: str, severity: Severity, port: int | None) -> Finding:
    return Finding(fid, fid.replace("-", " "), severity, Confidence.CONFIRMED, "e", "r", port=port)


def camera(*findings: Finding, vendor: str = "Hikvision") -> Host:
    ident = Identification(vendor=vendor, model="DS-2CD2032-I", device_type=DeviceType.CAMERA)
    return Host(
        ip=CAM,
        identification=ident,
        services=(
            ServiceResult(80, Protocol.HTTP, fields={"http.title": "Hikvision Web Login"}),
            ServiceResult(554, Protocol.RTSP),
            ServiceResult(8000, Protocol.TCP),
        ),
        findings=findings,
        risk=score_host(findings, DeviceType.CAMERA),
    )


def router(*forwards: PortForward, external: str = "81.2.69.160", **kw: object) -> RouterReading:
    # 81.2.69.160 is only text the router "said": nothing is ever sent to it.
    return RouterReading(
        address=GW,
        status=RouterStatus.READ,
        description_url=f"http://{GW}:5000/rootDesc.xml",
        services=("WANIPConnection",),
        external_ip=external,
        connection_status="Connected",
        forwards=forwards,
        mapping_actions=("AddPortMapping", "DeletePortMapping"),
        **kw,  # type: ignore[arg-type]
    )


def build(readings: list[RouterReading], hosts: list[Host]) -> tuple[list[Host], InternetExposure]:
    return build_exposure(
        readings,
        hosts,
        scanned={(h.ip, s.port) for h in hosts for s in h.services},
        in_scope={CAM, "192.168.1.40"},
    )


def test_default_password_behind_a_forward_is_critical() -> None:
    cam = camera(finding("default-credentials-http", Severity.CRITICAL, 80))
    hosts, exposure = build_exposure(
        [router(PortForward(8080, "TCP", CAM, 80))], [cam], scanned=set(), in_scope={CAM}
    )
    (path,) = exposure.paths
    assert path.kind is ExposureKind.FORWARD
    assert path.severity is Severity.CRITICAL
    assert path.confidence is Confidence.CONFIRMED  # a public address: the internet reaches it
    assert path.finding_ids == ("default-credentials-http",)
    assert path.path == (
        "internet -> router 192.168.1.1 port 8080/TCP -> 192.168.1.13:80 (Hikvision "
        "DS-2CD2032-I, camera), HTTP 'Hikvision Web Login' -> default credentials http"
    )
    cam_after = next(h for h in hosts if h.ip == CAM)
    (forward,) = [f for f in cam_after.findings if f.id == FORWARD_FINDING]
    assert forward.port == 80
    assert forward.severity is Severity.CRITICAL
    assert "8080 (TCP)" in forward.title


def test_worst_of_the_two() -> None:
    cam = camera(
        finding("rtsp-unauthenticated-stream", Severity.HIGH, 554),
        finding("vendor-port-8000", Severity.LOW, 8000),
        finding("hikvision-cve-2017-7921", Severity.CRITICAL, None),  # firmware: via the web
    )
    _, exposure = build(
        [
            router(
                PortForward(554, "TCP", CAM, 554),
                PortForward(8000, "TCP", CAM, 8000),
                PortForward(443, "TCP", CAM, 80),
            )
        ],
        [cam],
    )
    by_port = {p.port: p for p in exposure.paths}
    assert by_port[554].severity is Severity.CRITICAL  # an open stream on the internet
    assert by_port[8000].severity is Severity.HIGH  # a vendor SDK port: raised to high
    assert by_port[80].severity is Severity.CRITICAL
    assert by_port[80].finding_ids == ("hikvision-cve-2017-7921",)


def test_camera_page_without_a_finding_is_medium_and_risk_rises() -> None:
    cam = camera()
    hosts, exposure = build([router(PortForward(8080, "TCP", CAM, 80))], [cam])
    (path,) = exposure.paths
    assert path.severity is Severity.MEDIUM
    after = next(h for h in hosts if h.ip == CAM)
    assert after.risk.score > cam.risk.score


@pytest.mark.parametrize(
    ("external", "words"),
    [
        ("10.20.0.5", "is private"),
        ("192.168.0.2", "another router sits in front"),
        ("100.64.3.9", "carrier-grade NAT"),
        ("198.19.0.1", "reserved range"),
        ("", "did not say its internet address"),
        ("not-an-address", "is not an address"),
    ],
)
def test_private_or_cgnat_address_lowers_confidence(external: str, words: str) -> None:
    confidence, caveat = reach(router(external=external))
    assert confidence is Confidence.FIRM
    assert words in caveat


def test_disconnected_router_lowers_confidence() -> None:
    reading = RouterReading(
        GW, RouterStatus.READ, external_ip="81.2.69.160", connection_status="Disconnected"
    )
    confidence, caveat = reach(reading)
    assert confidence is Confidence.FIRM
    assert "Disconnected" in caveat


def test_forwards_camsweep_could_not_follow() -> None:
    _, exposure = build(
        [
            router(
                PortForward(2222, "TCP", "192.168.1.40", 22),  # in scope, nothing answered
                PortForward(3389, "TCP", "192.168.1.99", 3389),  # outside the targets
                PortForward(9999, "TCP", CAM, 9999, enabled=False),
            )
        ],
        [camera()],
    )
    words = {p.host: p.weaknesses for p in exposure.paths}
    assert words["192.168.1.99"] == ("not scanned: 192.168.1.99 is outside the targets",)
    assert words["192.168.1.40"] == ("not scanned",)
    assert all(p.severity is Severity.LOW for p in exposure.paths)
    assert any("switched off" in n for n in exposure.notes)


def test_router_finding_on_the_gateway() -> None:
    hosts, exposure = build([router(PortForward(8080, "TCP", CAM, 80))], [camera()])
    gateway = next(h for h in hosts if h.ip == GW)
    (found,) = gateway.findings
    assert found.id == ROUTER_FINDING
    assert found.severity is Severity.MEDIUM
    assert found.confidence is Confidence.FIRM
    assert "offers AddPortMapping" in found.evidence
    assert "never does" in found.evidence  # says what it cannot know
    assert "Turn UPnP" in found.remediation
    assert not exposure.blind


def test_router_finding_without_a_service_description() -> None:
    reading = RouterReading(GW, RouterStatus.READ, services=("WANIPConnection",))
    hosts, _ = build([reading], [])
    (found,) = hosts[0].findings
    assert found.confidence is Confidence.INFERRED
    assert "was not readable" in found.evidence


def test_no_upnp_is_a_blind_spot_not_a_clean_bill() -> None:
    reading = RouterReading(GW, RouterStatus.NO_UPNP, reason="it answered no UPnP search")
    hosts, exposure = build([reading], [camera()])
    assert exposure.blind
    assert not exposure.paths
    assert "could not see the router's forwards" in exposure.notes[0]
    assert "not a sign that nothing is exposed" in exposure.notes[0]
    assert [h.ip for h in hosts] == [CAM]  # no finding without evidence


def test_natpmp_alone_is_a_router_finding() -> None:
    reading = RouterReading(
        GW, RouterStatus.NO_UPNP, reason="no UPnP", nat_pmp="NAT-PMP answers (external ...)"
    )
    hosts, exposure = build([reading], [])
    assert exposure.blind
    (found,) = hosts[0].findings
    assert found.id == ROUTER_FINDING
    assert "NAT-PMP" in found.title


def test_cloud_paths_need_no_forward() -> None:
    xm = Host(
        ip="192.168.1.20",
        identification=Identification(vendor="Xiongmai", device_type=DeviceType.RECORDER),
        findings=(finding("default-credentials-telnet", Severity.CRITICAL, 23),),
    )
    kalay = Host(
        ip="192.168.1.21",
        identification=Identification(device_type=DeviceType.CAMERA),
        services=(ServiceResult(80, Protocol.HTTP, fields={"http.body": "IOTCAPIs ready"}),),
    )
    _, exposure = build([], [xm, kalay])
    paths = {p.host: p for p in exposure.paths}
    assert paths["192.168.1.20"].kind is ExposureKind.CLOUD
    assert paths["192.168.1.20"].service == "XMEye P2P cloud"
    assert paths["192.168.1.20"].confidence is Confidence.INFERRED  # from the make alone
    assert paths["192.168.1.20"].severity is Severity.HIGH  # and a default password
    assert "no forward needed" in paths["192.168.1.20"].path
    assert paths["192.168.1.21"].service == "ThroughTek Kalay (TUTK)"
    assert paths["192.168.1.21"].confidence is Confidence.FIRM
    assert paths["192.168.1.21"].severity is Severity.MEDIUM
    assert exposure.blind  # no router was read: said even when cloud paths are listed


def test_paths_worst_first() -> None:
    cam = camera(finding("default-credentials-rtsp", Severity.HIGH, 554))
    _, exposure = build(
        [router(PortForward(1, "TCP", "192.168.1.99", 1), PortForward(554, "TCP", CAM, 554))],
        [cam],
    )
    assert [p.severity for p in exposure.paths] == [Severity.CRITICAL, Severity.LOW]


def test_cloud_paths_come_from_the_signature_set_given() -> None:
    """The rules are data: a user layer's cloud service is listed, the shipped ones are not."""
    sigs = load_text(
        "mine.yaml",
        "cloud:\n"
        "  - id: acme-p2p\n"
        "    name: ACME P2P\n"
        "    text: '\\bACME ?P2P\\b'\n"
        "    meaning: the camera keeps a session to ACME's relay\n"
        "    references: [https://example.com/acme-p2p]\n"
        "    examples: [ACME P2P]\n",
    )
    acme = Host(
        ip="192.168.1.22",
        identification=Identification(vendor="Xiongmai", device_type=DeviceType.CAMERA),
        services=(ServiceResult(80, Protocol.HTTP, fields={"http.title": "acme p2p setup"}),),
    )
    mine = [c for c in sigs.cloud if c.id == "acme-p2p"]
    _, exposure = build_exposure([], [acme], scanned=set(), in_scope=set(), cloud=mine)
    (path,) = exposure.paths
    assert path.service == "ACME P2P"
    assert path.confidence is Confidence.FIRM
    assert path.caveat == "http.title names it; the camera keeps a session to ACME's relay"
    _, shipped = build_exposure([], [acme], scanned=set(), in_scope=set())
    assert [p.service for p in shipped.paths] == ["XMEye P2P cloud"]  # Xiongmai: inferred


def test_a_udp_forward_says_it_was_not_probed() -> None:
    """TCP 554 answered RTSP with an open stream; the UDP forward of 554 is not that service."""
    cam = camera(finding("rtsp-open-stream", Severity.CRITICAL, 554))
    hosts, exposure = build([router(PortForward(5540, "UDP", CAM, 554))], [cam])
    (path,) = exposure.paths
    assert path.path.endswith(
        f"-> {CAM}:554 (Hikvision DS-2CD2032-I, camera) -> "
        f"{UDP_NOT_PROBED}: camsweep scans forwarded TCP ports only"
    )
    assert "port 5540/UDP" in path.path
    assert path.finding_ids == ()  # the TCP stream's finding is not reachable through it
    assert path.severity is Severity.LOW
    (forward,) = [f for f in hosts[0].findings if f.id == FORWARD_FINDING]
    assert UDP_NOT_PROBED in forward.evidence


def test_a_udp_forward_to_a_udp_service_on_record_is_tied_to_it() -> None:
    """Vendor discovery's UDP answers are on record: a forward to one is tied, not 'unprobed'."""
    xm = camera(finding("p2p-cloud-id-exposed", Severity.MEDIUM, 34569))
    xm = Host(
        ip=xm.ip,
        identification=xm.identification,
        services=(*xm.services, ServiceResult(34569, Protocol.VENDOR_DISCOVERY, transport="udp")),
        findings=xm.findings,
    )
    _, exposure = build([router(PortForward(34569, "UDP", CAM, 34569))], [xm])
    (path,) = exposure.paths
    assert UDP_NOT_PROBED not in path.path
    assert path.finding_ids == ("p2p-cloud-id-exposed",)


def _made_by(vendor: str | None) -> Host:
    """A camera whose identification names ``vendor`` as reports do (its display name)."""
    return Host(
        ip="192.168.1.23",
        identification=Identification(vendor=vendor, device_type=DeviceType.CAMERA),
        services=(ServiceResult(80, Protocol.HTTP, fields={"http.server": "GoAhead-Webs"}),),
    )


def test_a_make_that_ships_a_cloud_on_is_matched_by_its_vendor_id() -> None:
    """``default_on`` names vendor ids; a host carries its vendor's display name. WIFICAM's name
    ('P2P WIFICAM (GoAhead white label)') neither equals nor starts with its id, so the CS2 rule
    never fired while the id was compared with the lower-cased name."""
    shipped = load_signatures()
    wificam = shipped.vendor("wificam")
    assert wificam is not None
    assert not wificam.name.lower().startswith(wificam.id)  # what made the fault
    _, exposure = build_exposure(
        [], [_made_by(wificam.name)], scanned=set(), in_scope=set(), vendors=shipped.vendor
    )
    (path,) = exposure.paths
    assert path.service == "CS2 Network P2P (PPPP)"
    assert path.confidence is Confidence.INFERRED
    assert path.caveat.startswith(f"{wificam.name} devices ship with it switched on")
    # Without the lookup given, the shipped vendors resolve the name the same way.
    _, default = build_exposure([], [_made_by(wificam.name)], scanned=set(), in_scope=set())
    assert [p.service for p in default.paths] == ["CS2 Network P2P (PPPP)"]


@pytest.mark.parametrize(
    "vendor",
    [
        None,
        "Hikvision",  # a make with no cloud on by default
        "Xiongmai Clone Co",  # starts with a listed id but is no vendor of the set
        "P2P WIFICAM (GoAhead white label) clone",
    ],
)
def test_no_inferred_cloud_path_for_other_makes(vendor: str | None) -> None:
    _, exposure = build_exposure([], [_made_by(vendor)], scanned=set(), in_scope=set())
    assert not exposure.paths
