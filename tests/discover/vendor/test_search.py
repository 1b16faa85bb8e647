"""The vendor discovery phase through a scripted datagram seam: what is sent where, what is kept.

No socket: ``ScriptedDatagrams`` answers like the network would and applies the real seam's
rules (searches only on attached networks, nothing in passive mode).
"""

from __future__ import annotations

import ipaddress

import pytest

from scanner.config import VendorOptions
from scanner.discover.vendor.catalog import load_catalog
from scanner.discover.vendor.search import VendorDiscovery
from scanner.match import load_signatures
from scanner.models import Confidence, DeviceType, DiscoveryStatus, Identification, Protocol
from scanner.targets import resolve_targets
from scanner.transport import ScriptedDatagrams
from tests.discover.vendor import fixtures as fx

LAN = "198.18.7.0/24"
IFACES = {"eth0": ["198.18.7.2/24"]}


def make(
    answers: dict[tuple[str, int], list[object]], targets: str = LAN, **options: object
) -> tuple[VendorDiscovery, ScriptedDatagrams]:
    seam = ScriptedDatagrams(
        answers,  # type: ignore[arg-type]
        attached=[ipaddress.IPv4Network(LAN)],
        passive=bool(options.get("passive", False)),
    )
    vendor = VendorDiscovery(
        load_catalog(),
        VendorOptions(timeout=0.05, unicast_wait=0.05, **options),  # type: ignore[arg-type]
        resolve_targets([targets]).ranges,
        interfaces=IFACES,
        datagrams=seam,
    )
    return vendor, seam


@pytest.mark.asyncio
async def test_multicast_broadcast_then_unicast() -> None:
    vendor, seam = make(
        {
            ("239.255.255.250", 37020): [("198.18.7.64", fx.SADP_DS2CD2385)],
            ("198.18.7.255", 32108): [("198.18.7.70", fx.PPPP_CAM_REVERSE)],
            ("198.18.7.80", 37810): [fx.DHIP_HDW1431],
        }
    )
    await vendor.run()
    destinations = {d for d, _ in seam.sent}
    assert ("239.255.255.250", 37020) in destinations  # SADP multicast
    assert ("239.255.255.251", 37810) in destinations  # DHDiscover multicast
    assert ("198.18.7.255", 34569) in destinations  # Xiongmai broadcast, this LAN only
    assert ("255.255.255.255", 34569) not in destinations
    assert vendor.heard() == ["198.18.7.64", "198.18.7.70"]
    [sadp] = await vendor.query("198.18.7.64", answered=False)
    assert (sadp.protocol, sadp.source, sadp.port) == (Protocol.VENDOR_DISCOVERY, "sadp", 37020)
    assert sadp.fields["discovery.model"] == "DS-2CD2385G1-I"
    # A host that answered something is asked by unicast, each protocol once.
    [dhip] = await vendor.query("198.18.7.80", answered=True)
    assert dhip.source == "dhdiscover"
    unicast = [d for d, _ in seam.sent if d[0] == "198.18.7.80"]
    assert len(unicast) == len([p for p in load_catalog().protocols if p.unicast])
    await vendor.query("198.18.7.80", answered=True)
    assert len([d for d, _ in seam.sent if d[0] == "198.18.7.80"]) == len(unicast)
    runs = {r.method: r for r in vendor.runs()}
    assert runs["sadp"].status is DiscoveryStatus.RAN
    assert (runs["sadp"].hosts, runs["dhdiscover"].hosts) == (1, 1)


@pytest.mark.asyncio
async def test_answers_from_outside_the_targets_are_dropped() -> None:
    vendor, _ = make(
        {("239.255.255.250", 37020): [("198.18.7.9", fx.SADP_DS2CD2385)]},
        targets="198.18.7.10-20",
    )
    await vendor.run()
    assert vendor.heard() == []
    assert await vendor.query("198.18.7.9", answered=True) == []  # not a target: not even asked


@pytest.mark.asyncio
async def test_passive_sends_nothing() -> None:
    vendor, seam = make({}, passive=True)
    await vendor.run()
    assert await vendor.query("198.18.7.64", answered=True) == []
    assert seam.sent == []
    assert {r.status for r in vendor.runs()} == {DiscoveryStatus.SKIPPED}


@pytest.mark.asyncio
async def test_switches() -> None:
    vendor, seam = make({}, enabled=False)
    await vendor.run()
    await vendor.query("198.18.7.64", answered=True)
    assert seam.sent == []
    assert all("--no-vendor-discovery" in r.reason for r in vendor.runs())
    vendor, seam = make({}, skip=("sadp", "ubiquiti"))
    await vendor.run()
    await vendor.query("198.18.7.64", answered=True)
    assert all(d[1] not in (37020, 10001) for d, _ in seam.sent)
    assert {r.method for r in vendor.runs() if r.status is DiscoveryStatus.SKIPPED} == {
        "sadp",
        "ubiquiti",
    }


def test_unknown_protocol_switch_is_a_clear_error() -> None:
    from scanner.discover.vendor.catalog import CatalogError  # noqa: PLC0415

    with pytest.raises(CatalogError, match="unknown discovery protocol 'sadpp'"):
        load_catalog().select(["sadpp"])


@pytest.mark.asyncio
async def test_loopback_targets_get_unicast_only() -> None:
    seam = ScriptedDatagrams({("127.77.5.17", 40000): [fx.SADP_DS2CD2385]})
    vendor = VendorDiscovery(
        load_catalog(),
        VendorOptions(timeout=0.05, unicast_wait=0.05, ports={("127.77.5.17", 37020): 40000}),
        resolve_targets(["127.77.5.17"]).ranges,
        interfaces={"lo": ["127.0.0.1/8"]},
        datagrams=seam,
    )
    await vendor.run()
    [answer] = await vendor.query("127.77.5.17", answered=True)
    assert answer.source == "sadp"
    assert all(d[0] == "127.77.5.17" for d, _ in seam.sent)  # no search on loopback


@pytest.mark.asyncio
async def test_identification_findings_and_firm_firmware() -> None:
    signatures = load_signatures()
    never = fx.SADP_DS2CD2385.replace(b"<Activated>true<", b"<Activated>false<")
    vendor, _ = make({("198.18.7.64", 37020): [never], ("198.18.7.13", 34569): [fx.SOFIA_BESDER]})
    await vendor.run()
    services = await vendor.query("198.18.7.64", answered=True)
    ident = vendor.identify(Identification(), services, signatures)
    assert (ident.vendor, ident.model, ident.firmware) == (
        "Hikvision",
        "DS-2CD2385G1-I",
        "V5.6.2build 190701",
    )
    assert ident.device_type is DeviceType.CAMERA
    assert ident.firmware_exact
    findings = {f.id: f for f in vendor.findings(ident, services)}
    assert findings["camera-not-activated"].severity == "critical"
    assert "SADP" in findings["camera-not-activated"].remediation
    # A fingerprint's make wins; the answer still fills the model, with its line.
    known = Identification(vendor="Hikvision", firmware="V5.6.2build 190701")
    again = vendor.identify(known, services, signatures)
    assert again.model == "DS-2CD2385G1-I"
    assert again.firmware_exact
    # Xiongmai: the cloud ID and the settings-change finding.
    xm = await vendor.query("198.18.7.13", answered=True)
    xm_findings = {f.id for f in vendor.findings(Identification(), xm)}
    assert xm_findings == {"p2p-cloud-id-exposed", "discovery-changes-settings"}


def test_version_range_on_a_stated_firmware_is_firm() -> None:
    signatures = load_signatures()
    ident = Identification(vendor="Hikvision", model="DS-2CD2032-I", firmware="V5.2.5 build 141201")
    inferred = {f.id: f for f in signatures.vulnerability_findings(ident)}
    stated = {
        f.id: f
        for f in signatures.vulnerability_findings(
            Identification(
                vendor=ident.vendor, model=ident.model, firmware=ident.firmware, firmware_exact=True
            )
        )
    }
    changed = [i for i in inferred if inferred[i].confidence is Confidence.INFERRED]
    assert changed  # the seed set has version-range entries for this firmware
    for fid in changed:
        assert stated[fid].confidence is Confidence.FIRM
        assert "discovery answer" in stated[fid].evidence
