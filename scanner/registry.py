"""One registration per capability: which probe speaks each protocol, what follows it, how a login
is tried on it and what it finds; and the host-level (UDP) probes.

The pipeline looks protocols up here instead of branching on them. A new probe is its own
module, its signatures, its lab responder, its tests and one line in ``_builtin()`` below
(sslyze's ``ScanCommand`` table, style habit 15). Each hook gets a ``PortJob``: the probe
context (seam, deadlines, caps), the signatures, the scan's options and the address.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from scanner.context import ProbeContext
from scanner.credentials.adapters import http_attempt, onvif_attempt, rtsp_attempt, telnet_attempt
from scanner.credentials.checker import Attempt
from scanner.discover.base import Sighting
from scanner.models import AuthScheme, Finding, Identification, ProbeStatus, Protocol, ServiceResult
from scanner.probe.banner import probe_banner
from scanner.probe.http import probe_http
from scanner.probe.onvif import is_malformed_soap, probe_onvif
from scanner.probe.rtsp import probe_rtsp
from scanner.probe.rtsp_stream import StreamState, confirm_stream
from scanner.probe.telnet import probe_telnet

if TYPE_CHECKING:
    from scanner.config import ScanConfig
    from scanner.match.engine import SignatureSet

__all__ = [
    "HostJob",
    "HostProbe",
    "LanSearch",
    "PortJob",
    "PortProbe",
    "ProbeRegistry",
    "default_registry",
]

_MAX_CONFIRMED_ROUTES = 4
_LOGIN = (AuthScheme.BASIC, AuthScheme.DIGEST)


@dataclass(frozen=True, slots=True)
class HostJob:
    """What a hook may use: the seam and limits, the signatures, the options, the address."""

    ctx: ProbeContext
    signatures: SignatureSet
    config: ScanConfig
    ip: str


@dataclass(frozen=True, slots=True)
class PortJob(HostJob):
    port: int
    protocol: Protocol


ProbeFn = Callable[[PortJob], Awaitable[ServiceResult]]
FollowUp = Callable[[PortJob, ServiceResult], Awaitable[ServiceResult | None]]
Refine = Callable[[PortJob, ServiceResult, Identification], Awaitable[ServiceResult]]
LoginFn = Callable[[PortJob, ServiceResult, Identification], Attempt | None]
FindingsFn = Callable[[Identification, ServiceResult], Sequence[Finding]]


@dataclass(frozen=True, slots=True)
class PortProbe:
    """Everything camsweep does with one protocol on one open port.

    ``probe``: the first look (None for a service only ever found by a follow-up, like ONVIF).
    ``follow_ups``: further services found on the same port (ONVIF on a web port); each result
    it returns is added to the host. ``refine``: runs once the host is identified (vendor
    routes, --confirm-streams). ``login``: the credential attempt for the checker, or None
    when the service does not ask for one. ``findings``: what the service shows by itself."""

    protocols: tuple[Protocol, ...]
    probe: ProbeFn | None = None
    follow_ups: tuple[FollowUp, ...] = ()
    refine: tuple[Refine, ...] = ()
    login: LoginFn | None = None
    findings: FindingsFn | None = None


HostProbeFn = Callable[[HostJob], Awaitable[Sequence[ServiceResult]]]


@dataclass(frozen=True, slots=True)
class HostProbe:
    """A probe of a whole host rather than a port: a UDP question to a vendor discovery port,
    say. Runs beside the port probes of every live host (never in passive mode); what it
    returns is evidence for identification like any service. ``findings`` works per service."""

    name: str
    run: HostProbeFn
    findings: FindingsFn | None = None


SearchFn = Callable[[ProbeContext, str, float, Callable[[str], bool]], Awaitable[list[Sighting]]]


@dataclass(frozen=True, slots=True)
class LanSearch:
    """A multicast or broadcast discovery method on the targets' LAN (a vendor's search tool's
    question, say), run by LAN discovery beside SSDP and WS-Discovery: never in passive mode,
    only on an attached network that holds targets. ``run(ctx, iface_ip, seconds, in_scope)``
    sends through ``ctx.datagrams`` (whose ``search`` enforces those rules) and returns
    sightings; ``name`` is its line in the report's discovery section."""

    name: str
    run: SearchFn
    describe: str = ""  # what it sent, for the report ("<name> search" when empty)


Entry = PortProbe | HostProbe | LanSearch


class ProbeRegistry:
    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._by_protocol: dict[Protocol, PortProbe] = {}
        self._hosts: list[HostProbe] = []
        self._searches: list[LanSearch] = []
        for entry in entries:
            self.register(entry)

    def register(self, entry: Entry) -> ProbeRegistry:
        """Add (or replace) one capability; returns the registry so tables read as one line."""
        if isinstance(entry, HostProbe):
            self._hosts = [h for h in self._hosts if h.name != entry.name] + [entry]
        elif isinstance(entry, LanSearch):
            self._searches = [s for s in self._searches if s.name != entry.name] + [entry]
        else:
            for protocol in entry.protocols:
                self._by_protocol[protocol] = entry
        return self

    def copy(self) -> ProbeRegistry:
        ports = list(dict.fromkeys(self._by_protocol.values()))
        return ProbeRegistry([*ports, *self._hosts, *self._searches])

    def port_probe(self, protocol: Protocol | None) -> PortProbe:
        """The entry for ``protocol``; the banner grab for anything unknown."""
        entry = self._by_protocol.get(protocol) if protocol is not None else None
        if entry is None or entry.probe is None:
            return self._by_protocol[Protocol.TCP]
        return entry

    def entry(self, protocol: Protocol) -> PortProbe | None:
        return self._by_protocol.get(protocol)

    @property
    def host_probes(self) -> tuple[HostProbe, ...]:
        return tuple(self._hosts)

    @property
    def lan_searches(self) -> tuple[LanSearch, ...]:
        return tuple(self._searches)

    def findings(
        self,
        ident: Identification,
        services: Sequence[ServiceResult],
        host_results: Sequence[tuple[HostProbe, ServiceResult]] = (),
    ) -> list[Finding]:
        """Every registered finding rule: per protocol on each service, and each host probe's
        on what it returned."""
        out: list[Finding] = []
        for svc in services:
            entry = self._by_protocol.get(svc.protocol)
            if entry is not None and entry.findings is not None:
                out.extend(entry.findings(ident, svc))
        for probe, svc in host_results:
            if probe.findings is not None:
                out.extend(probe.findings(ident, svc))
        return out


# --- the built-in probes -----------------------------------------------------------------------


async def _rtsp(job: PortJob) -> ServiceResult:
    return await probe_rtsp(job.ctx, job.ip, job.port, routes=job.signatures.routes_for(None))


async def _http(job: PortJob) -> ServiceResult:
    return await probe_http(job.ctx, job.ip, job.port, tls=job.protocol is Protocol.HTTPS)


async def _telnet(job: PortJob) -> ServiceResult:
    return await probe_telnet(job.ctx, job.ip, job.port)


async def _banner(job: PortJob) -> ServiceResult:
    return await probe_banner(job.ctx, job.ip, job.port)


async def _onvif_after_http(job: PortJob, web: ServiceResult) -> ServiceResult | None:
    """Cameras serve ONVIF on their web port: one read-only SOAP call tells whether."""
    if web.status is not ProbeStatus.OK:
        return None
    onvif = await probe_onvif(job.ctx, job.ip, job.port, tls=web.tls)
    # Kept when it answered, or answered SOAP we refused (an XML bomb): a note.
    if onvif.status is ProbeStatus.OK or is_malformed_soap(onvif):
        return onvif
    return None


async def _vendor_routes(job: PortJob, svc: ServiceResult, ident: Identification) -> ServiceResult:
    """DESCRIBE the identified vendor's own stream routes that the generic pass did not try,
    on RTSP services that did not ask for a password, and merge what opens."""
    if ident.vendor is None or svc.status is not ProbeStatus.OK:
        return svc
    if svc.auth in _LOGIN or svc.accepts_any_route:
        return svc
    tried = set(job.signatures.routes_for(None))
    extra = [r for r in job.signatures.routes_for(ident.vendor) if r not in tried]
    if not extra:
        return svc
    more = await probe_rtsp(job.ctx, job.ip, svc.port, routes=extra)
    if more.open_routes and not more.accepts_any_route:
        return replace(svc, open_routes=tuple(dict.fromkeys(svc.open_routes + more.open_routes)))
    return svc


async def _confirm_streams(job: PortJob, svc: ServiceResult, _: Identification) -> ServiceResult:
    """Record, per open RTSP route, whether video really flows (--confirm-streams)."""
    if not job.config.confirm_streams or not svc.open_routes:
        return svc
    video: list[str] = []
    silent: list[str] = []
    for route in svc.open_routes[:_MAX_CONFIRMED_ROUTES]:
        check = await confirm_stream(job.ctx, job.ip, svc.port, route)
        (video if check.state is StreamState.VIDEO else silent).append(route)
    fields = dict(svc.fields)
    if video:
        fields["rtsp.video"] = ", ".join(video)
    if silent:
        fields["rtsp.no_video"] = ", ".join(silent)
    return replace(svc, fields=fields)


def _rtsp_login(job: PortJob, svc: ServiceResult, ident: Identification) -> Attempt | None:
    if svc.auth not in _LOGIN:
        return None
    routes = job.signatures.routes_for(ident.vendor) or ["/"]
    return rtsp_attempt(job.ctx, job.ip, svc.port, routes[0])


def _http_login(job: PortJob, svc: ServiceResult, ident: Identification) -> Attempt | None:
    # The page that asked for a password, else (the home page is a script-driven form) the
    # vendor's own login endpoint; Basic or Digest is learnt from its challenge.
    if svc.auth in _LOGIN:
        path = svc.fields.get("http.path", "/")
    elif "http.login_path" in svc.fields:  # a page behind the open home page asked
        path = svc.fields["http.login_path"]
    else:
        login_paths = job.signatures.http_login_paths(ident.vendor)
        if not login_paths:
            return None
        path = login_paths[0]
    return http_attempt(job.ctx, job.ip, svc.port, path, tls=svc.protocol is Protocol.HTTPS)


def _onvif_login(job: PortJob, svc: ServiceResult, _: Identification) -> Attempt | None:
    if svc.auth is not AuthScheme.UNKNOWN:
        return None
    return onvif_attempt(job.ctx, job.ip, svc.port, tls=svc.tls)


def _telnet_login(job: PortJob, svc: ServiceResult, _: Identification) -> Attempt | None:
    return telnet_attempt(job.ctx, job.ip, svc.port, svc) if svc.login_prompt else None


def _builtin() -> ProbeRegistry:
    return ProbeRegistry((
        PortProbe((Protocol.RTSP,), _rtsp, refine=(_vendor_routes, _confirm_streams), login=_rtsp_login),  # noqa: E501
        PortProbe((Protocol.HTTP, Protocol.HTTPS), _http, follow_ups=(_onvif_after_http,), login=_http_login),  # noqa: E501
        PortProbe((Protocol.ONVIF,), login=_onvif_login),
        PortProbe((Protocol.TELNET,), _telnet, login=_telnet_login),
        PortProbe((Protocol.TCP,), _banner),
        # Host probes (HostProbe) and LAN searches (LanSearch) are registered here the same way.
    ))  # fmt: skip


def default_registry() -> ProbeRegistry:
    """A fresh copy of the built-in table (callers may register more on it)."""
    return _builtin()
