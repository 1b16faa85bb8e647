"""The probe registry: protocols are looked up, not branched on, and a new UDP probe is one line.

The stand-in below is what a vendor discovery probe looks like (a unicast question to a UDP
port, an answer parsed into evidence, a finding of its own): its module would hold the three
functions, and registering it is the one line in ``test_a_udp_probe_is_one_registration``.
A broadcast search (``LanSearch``) is registered the same way (``test_a_lan_search_...``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence

import pytest

from scanner.config import DiscoveryOptions, ScanConfig, Timeouts
from scanner.context import ProbeContext
from scanner.discover.base import Sighting
from scanner.discover.lan import LanDiscovery, Methods
from scanner.match import SignatureSet, load_signatures
from scanner.models import (
    Confidence,
    DiscoveryStatus,
    Finding,
    Identification,
    ProbeStatus,
    Protocol,
    ServiceResult,
    Severity,
)
from scanner.pipeline import scan
from scanner.registry import HostJob, HostProbe, LanSearch, ProbeRegistry, default_registry
from scanner.targets import expand_specs
from scanner.transport import ScriptedConnector, ScriptedDatagrams, Search, TransportError

IP = "198.18.0.20"
STANDIN_PORT = 48899  # a made-up vendor discovery port: nothing in the registry knows it
QUESTION = b"WHO-ARE-YOU?"
HTTP_OK = (
    b"HTTP/1.1 200 OK\r\nServer: Boa/0.94\r\nContent-Length: 32\r\n\r\n"
    b"<html><title>IPCAM</title></html>"
)
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


# --- the stand-in probe's own module ---------------------------------------------------------


async def standin_probe(job: HostJob) -> Sequence[ServiceResult]:
    try:
        answers = await job.ctx.datagrams.query(
            job.ip, STANDIN_PORT, QUESTION, timeout=job.ctx.timeouts.read, max_bytes=512
        )
    except TransportError:
        return []
    if not answers:
        return []
    text = answers[0].data.decode("ascii", "replace")
    return [
        ServiceResult(
            port=STANDIN_PORT,
            protocol=Protocol.TCP,
            transport="udp",
            status=ProbeStatus.OK,
            banner=text,
            fields={"tcp.banner": text},
        )
    ]


def standin_findings(ident: Identification, svc: ServiceResult) -> list[Finding]:
    return [
        Finding(
            id="standin-discovery-open",
            title="The device answers a vendor discovery question from anyone",
            severity=Severity.LOW,
            confidence=Confidence.CONFIRMED,
            evidence=f"UDP {svc.port} answered {svc.banner!r}",
            remediation="Turn vendor discovery off.",
            port=svc.port,
        )
    ]


# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signatures() -> SignatureSet:
    return load_signatures()


def _config() -> ScanConfig:
    return ScanConfig(
        targets=(IP,),
        target_specs=(IP,),
        ports=(80,),
        timeouts=Timeouts(read=0.3, banner=0.2),
    )


def _connector() -> ScriptedConnector:
    # The sweep's connection, the HTTP probe's keep-alive connection; ONVIF finds nothing.
    return ScriptedConnector({(IP, 80): [[], [HTTP_OK, NOT_FOUND]]})


@pytest.mark.asyncio
async def test_a_udp_probe_is_one_registration(signatures: SignatureSet) -> None:
    datagrams = ScriptedDatagrams({(IP, STANDIN_PORT): [b"MODEL=X1 FW=1.0"]})

    registry = default_registry().register(HostProbe("standin", standin_probe, standin_findings))

    report = await scan(
        _config(),
        signatures,
        [IP],
        1,
        connector=_connector(),
        datagrams=datagrams,
        registry=registry,
    )
    (host,) = report.hosts
    udp = [s for s in host.services if s.transport == "udp"]
    assert [(s.port, s.fields["tcp.banner"]) for s in udp] == [(STANDIN_PORT, "MODEL=X1 FW=1.0")]
    assert "standin-discovery-open" in {f.id for f in host.findings}
    assert datagrams.sent == [((IP, STANDIN_PORT), QUESTION)]
    # The HTTP probe still ran from its own registration.
    assert any(s.protocol is Protocol.HTTP and s.status is ProbeStatus.OK for s in host.services)


@pytest.mark.asyncio
async def test_without_the_registration_nothing_is_sent(signatures: SignatureSet) -> None:
    datagrams = ScriptedDatagrams({(IP, STANDIN_PORT): [b"MODEL=X1 FW=1.0"]})
    report = await scan(_config(), signatures, [IP], 1, connector=_connector(), datagrams=datagrams)
    assert datagrams.sent == []
    assert all(s.transport == "tcp" for s in report.hosts[0].services)


def test_protocols_are_looked_up_and_unknown_ones_get_the_banner_grab() -> None:
    registry = default_registry()
    assert registry.port_probe(Protocol.HTTP) is registry.port_probe(Protocol.HTTPS)
    assert registry.port_probe(Protocol.HTTP).follow_ups  # ONVIF after HTTP
    banner = registry.port_probe(Protocol.TCP)
    assert registry.port_probe(None) is banner
    assert registry.port_probe(Protocol.ONVIF) is banner  # ONVIF is only ever a follow-up
    entry = registry.entry(Protocol.ONVIF)
    assert entry is not None
    assert entry.login is not None
    # A copy can be extended without touching the built-in table.
    extended = registry.copy().register(HostProbe("x", standin_probe))
    assert [h.name for h in extended.host_probes] == ["x"]
    assert default_registry().host_probes == ()


# --- a LAN search (a vendor's broadcast question) registers the same way -----------------------

LAN = {"eth0": ["192.0.2.1/24"]}
SEARCH_PORT = 48898


async def standin_search(
    ctx: ProbeContext, iface_ip: str, seconds: float, in_scope: Callable[[str], bool]
) -> list[Sighting]:
    search = Search(iface_ip, ("192.0.2.255", SEARCH_PORT), (QUESTION,), duration=seconds)
    answers = await ctx.datagrams.search(search, in_scope=in_scope, max_bytes=512)
    return [
        Sighting(
            a.ip,
            "standin",
            service=ServiceResult(
                port=SEARCH_PORT,
                protocol=Protocol.TCP,
                transport="udp",
                status=ProbeStatus.OK,
                fields={"tcp.banner": a.data.decode("ascii", "replace")},
            ),
        )
        for a in answers
    ]


def _lan(datagrams: ScriptedDatagrams, registry: ProbeRegistry, **options: object) -> LanDiscovery:
    async def nothing(*_: object) -> list[Sighting]:
        return []

    methods = Methods(nothing, nothing, nothing, nothing, nothing, dict)
    return LanDiscovery(
        DiscoveryOptions(timeout=0.1, **options),  # type: ignore[arg-type]
        expand_specs(["192.0.2.0/24"]),
        interfaces=LAN,
        methods=methods,
        searches=registry.lan_searches,
        datagrams=datagrams,
    )


@pytest.mark.asyncio
async def test_a_lan_search_is_one_registration() -> None:
    datagrams = ScriptedDatagrams(
        {("192.0.2.255", SEARCH_PORT): [("192.0.2.13", b"MODEL=X2"), ("198.51.100.1", b"x")]},
        attached=[ipaddress.IPv4Network("192.0.2.0/24")],
    )

    registry = default_registry().register(LanSearch("standin", standin_search))

    lan = _lan(datagrams, registry)
    await lan.run()
    heard = lan.heard()
    assert list(heard) == ["192.0.2.13"]  # the out-of-scope answer was dropped
    assert heard["192.0.2.13"].services[0].fields["tcp.banner"] == "MODEL=X2"
    assert datagrams.sent == [(("192.0.2.255", SEARCH_PORT), QUESTION)]
    run = next(r for r in lan.runs() if r.method == "standin")
    assert (run.status, run.hosts) == (DiscoveryStatus.RAN, 1)


@pytest.mark.asyncio
async def test_a_lan_search_never_runs_in_passive_mode() -> None:
    datagrams = ScriptedDatagrams(attached=[ipaddress.IPv4Network("192.0.2.0/24")], passive=True)
    registry = default_registry().register(LanSearch("standin", standin_search))
    lan = _lan(datagrams, registry, passive=0.1)
    await lan.run()
    assert datagrams.sent == []
    run = next(r for r in lan.runs() if r.method == "standin")
    assert run.status is DiscoveryStatus.SKIPPED
