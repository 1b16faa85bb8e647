"""Tie the router's forwards and the devices' cloud paths to what the scan found: pure, no I/O.

A forward is only as bad as what it leads to, and a weakness is worse when the internet can
reach it: each path takes the worst of the two. A default password or an open stream behind a
forward is critical; a vendor control (SDK) port behind one is high; a camera's login page behind
one is medium. How sure the path is depends on the router's own internet address: a private or
carrier-grade NAT address means another NAT sits in front, so the forward may not reach the
internet at all (the confidence drops from confirmed to firm, and the path says why).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import replace

from scanner.match.schema import CloudService
from scanner.models import (
    Confidence,
    DeviceType,
    ExposureKind,
    ExposurePath,
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
from scanner.router.cloud import VendorLookup, cloud_services_of, shipped_cloud_services

__all__ = [
    "FORWARD_FINDING",
    "ROUTER_FINDING",
    "UDP_NOT_PROBED",
    "build_exposure",
    "reach",
]

FORWARD_FINDING = "internet-port-forward"
ROUTER_FINDING = "upnp-igd-open"
UDP_NOT_PROBED = "UDP forward, not probed"  # the words a UDP forward's path ends with

# Weaknesses that turn "reachable from the internet" into "anyone on the internet is in".
_CRITICAL_PREFIXES = ("default-credentials-", "listed-credentials-", "accepts-any-credentials-")
_CRITICAL_IDS = frozenset(
    {"rtsp-unauthenticated-stream", "telnet-open", "onvif-unauthenticated-media"}
)
_SDK_PREFIX = "vendor-port-"
_WEB = (Protocol.HTTP, Protocol.HTTPS, Protocol.ONVIF)
_CAMERAS = (DeviceType.CAMERA, DeviceType.RECORDER)
_NETS = {
    "private": [
        ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
    ],
    "carrier-grade NAT": [ipaddress.IPv4Network("100.64.0.0/10")],
}
_ROUTER_FIX = (
    "Turn UPnP (and NAT-PMP/PCP) off in the router's settings; forward by hand only the ports "
    "you need, to fixed addresses, and remove the forwards nobody needs."
)
_FORWARD_FIX = (
    "Remove this forward on the router and turn UPnP off there, so the device cannot open it "
    "again; reach the device from outside through a VPN to your home network instead. Fix the "
    "weakness too (change the password, turn the service off): forwards come back."
)


def reach(reading: RouterReading) -> tuple[Confidence, str]:
    """How sure a forward of this router reaches the internet, and why not when it may not."""
    address = reading.external_ip
    if reading.connection_status and reading.connection_status.lower() != "connected":
        return Confidence.FIRM, (
            f"the router reports its internet connection as {reading.connection_status!r}"
        )
    if not address:
        return Confidence.FIRM, (
            "the router did not say its internet address, so whether its forwards reach the "
            "internet is not known"
        )
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        return Confidence.FIRM, f"the router's internet address {address!r} is not an address"
    for kind, nets in _NETS.items():
        if any(ip in net for net in nets):
            more = (
                "your provider's NAT sits in front of it"
                if kind == "carrier-grade NAT"
                else "another router sits in front of it"
            )
            return Confidence.FIRM, (
                f"the router's own internet address {ip} is {kind}: {more}, so this forward may "
                "not reach the internet (it does if that NAT forwards the port too)"
            )
    if not ip.is_global:
        return Confidence.FIRM, (
            f"the router's own internet address {ip} is not a public address (reserved range), "
            "so this forward may not reach the internet"
        )
    return Confidence.CONFIRMED, ""


def _worst(severities: Iterable[Severity]) -> Severity:
    return max(severities, key=lambda s: s.rank, default=Severity.INFO)


def _raise(finding: Finding) -> Severity:
    if finding.id.startswith(_CRITICAL_PREFIXES) or finding.id in _CRITICAL_IDS:
        return Severity.CRITICAL
    if finding.id.startswith(_SDK_PREFIX):
        return _worst((finding.severity, Severity.HIGH))
    return finding.severity


def _services_at(host: Host, forward: PortForward) -> list[ServiceResult]:
    transport = forward.protocol.lower()
    return [
        s for s in host.services if s.port == forward.internal_port and s.transport == transport
    ]


def _findings_at(
    host: Host, forward: PortForward, services: Sequence[ServiceResult]
) -> list[Finding]:
    web = any(s.protocol in _WEB for s in services)
    return [
        f
        for f in host.findings
        if f.id not in (FORWARD_FINDING, ROUTER_FINDING)
        and (f.port == forward.internal_port or (f.port is None and web))
    ]


def _device_words(host: Host) -> str:
    ident = host.identification
    words = " ".join(x for x in (ident.vendor, ident.model) if x)
    kind = ident.device_type.value if ident.device_type in _CAMERAS else ""
    return ", ".join(x for x in (words, kind) if x)


def _service_words(services: Sequence[ServiceResult]) -> str:
    if not services:
        return ""
    s = services[0]
    title = s.fields.get("http.title", "")
    name = s.protocol.value.upper()
    return f"{name} {title!r}" if title else name


def _forward_words(forward: PortForward, router: str) -> str:
    text = f"router {router} port {forward.external_port}/{forward.protocol}"
    if forward.remote_host:
        text += f" (from {forward.remote_host} only)"
    return text


def _forward_path(
    forward: PortForward,
    router: RouterReading,
    host: Host | None,
    scanned: bool,
    in_scope: bool,
) -> ExposurePath:
    confidence, caveat = reach(router)
    target = f"{forward.internal_client}:{forward.internal_port}"
    services = _services_at(host, forward) if host else []
    # camsweep scans forwarded TCP ports only: a UDP forward with no UDP answer on record (vendor
    # discovery's) was not looked at, so the TCP findings on the same port number are not its.
    unprobed_udp = forward.protocol != "TCP" and not services
    findings = _findings_at(host, forward, services) if host and not unprobed_udp else []
    device = _device_words(host) if host else ""
    what = _service_words(services)
    weaknesses = tuple(f.title for f in sorted(findings, key=lambda f: -f.severity.rank))
    if findings:
        severity = _worst(_raise(f) for f in findings)
        if host is not None and host.identification.device_type in _CAMERAS:
            severity = _worst((severity, Severity.MEDIUM))
    elif services and host is not None and host.identification.device_type in _CAMERAS:
        severity = Severity.MEDIUM
        weaknesses = ("a camera's own service, open to password guessing from the internet",)
    elif services:
        severity = Severity.LOW
    else:
        severity = Severity.LOW
        if not in_scope:
            weaknesses = (f"not scanned: {forward.internal_client} is outside the targets",)
        elif unprobed_udp:
            weaknesses = (f"{UDP_NOT_PROBED}: camsweep scans forwarded TCP ports only",)
        elif scanned:
            weaknesses = ("nothing answered there when camsweep tried (a stale forward?)",)
        else:
            weaknesses = ("not scanned",)
    ends = " ".join(x for x in (target, f"({device})" if device else "") if x)
    if what:
        ends += f", {what}"
    weak = "; ".join(weaknesses) if weaknesses else "nothing weak found there"
    path = f"internet -> {_forward_words(forward, router.address)} -> {ends} -> {weak}"
    return ExposurePath(
        kind=ExposureKind.FORWARD,
        host=forward.internal_client,
        path=path,
        severity=severity,
        confidence=confidence,
        port=forward.internal_port,
        router=router.address,
        forward=forward,
        service=what,
        weaknesses=weaknesses,
        finding_ids=tuple(f.id for f in findings),
        caveat=caveat,
    )


def _forward_finding(paths: Sequence[ExposurePath]) -> Finding:
    """One finding per device port, naming every forward that reaches it."""
    first = paths[0]
    worst = _worst(p.severity for p in paths)
    confidence = min(
        (p.confidence for p in paths),
        key=[Confidence.INFERRED, Confidence.FIRM, Confidence.CONFIRMED].index,
    )
    forwards = ", ".join(
        f"{p.forward.external_port} ({p.forward.protocol})" for p in paths if p.forward
    )
    evidence = "\n".join(p.path + (f" [{p.caveat}]" if p.caveat else "") for p in paths)
    return Finding(
        id=FORWARD_FINDING,
        title=f"Reachable from the internet: router {first.router} forwards port {forwards} here",
        severity=worst,
        confidence=confidence,
        evidence=evidence,
        remediation=_FORWARD_FIX,
        port=first.port,
    )


def _natpmp_finding(reading: RouterReading) -> Finding:
    """No UPnP answer, but NAT-PMP/PCP did: forwards can still be requested by any device."""
    return Finding(
        id=ROUTER_FINDING,
        title="The router accepts port-forward requests from any device on the network "
        "(NAT-PMP/PCP)",
        severity=Severity.MEDIUM,
        confidence=Confidence.FIRM,
        evidence=(
            f"UDP 5351 on {reading.address}: {reading.nat_pmp}. NAT-PMP and PCP let any device on "
            "the LAN ask for a forward without a login; camsweep never asks for one, so whether "
            "this router grants them is inferred from the protocol answering."
        ),
        remediation=_ROUTER_FIX,
    )


def _router_finding(reading: RouterReading) -> Finding | None:
    if reading.status is not RouterStatus.READ:
        return _natpmp_finding(reading) if reading.nat_pmp else None
    offers = [a for a in reading.mapping_actions if a.startswith("Add")]
    services = ", ".join(reading.services) or "its WAN connection service"
    held = len(reading.forwards)
    # One fact a line: the renderers cap each line, never the list of them.
    lines = [f"UPnP IGD is on at {reading.description_url} and answered camsweep's read "
             "actions without any login."]  # fmt: skip
    if offers:
        confidence = Confidence.FIRM
        lines.append(f"Its service description ({services}) offers {', '.join(offers)}.")
    else:
        # Without the SCPD the offer is inferred from IGD being on: every IGD has AddPortMapping.
        confidence = Confidence.INFERRED
        lines.append(f"Its service description ({services}) was not readable; every IGD offers "
                     "AddPortMapping.")  # fmt: skip
    lines.append(
        f"It holds {held} forward{'s' if held != 1 else ''} now. Any device on the LAN (a "
        "camera, its phone app, malware) can open an internet port this way, unnoticed."
    )
    lines.append(
        "Whether it lets a device forward only to itself (miniupnpd secure_mode, an allow "
        "list) cannot be seen without asking for a forward, which camsweep never does."
    )
    if reading.device_protection:
        lines.append(
            "It also lists UPnP DeviceProtection, under which a router may ask for a login "
            "before mapping (few enforce it)."
        )
    if reading.nat_pmp:
        lines.append(f"UDP 5351: {reading.nat_pmp}: NAT-PMP/PCP is another way to ask.")
    return Finding(
        id=ROUTER_FINDING,
        title="The router accepts port-forward requests from any device on the network (UPnP IGD)",
        severity=Severity.MEDIUM,
        confidence=confidence,
        evidence="\n".join(lines),
        remediation=_ROUTER_FIX,
        references=("https://openconnectivity.org/developer/specifications/upnp-resources/upnp/",),
    )


def _add_findings(host: Host, findings: Sequence[Finding]) -> Host:
    kept = [
        f
        for f in host.findings
        if f.id not in {g.id for g in findings}
        or f.port not in {g.port for g in findings if g.id == f.id}
    ]
    merged = (*kept, *findings)
    return replace(host, findings=merged, risk=score_host(merged, host.identification.device_type))


def _router_host(reading: RouterReading, finding: Finding) -> Host:
    ident = Identification(
        model=reading.model[:80] or "router",
        device_type=DeviceType.OTHER,
        identified_by=(f"UPnP Internet Gateway Device: {reading.model or 'no model given'}",),
    )
    return Host(
        ip=reading.address,
        discovered_by=("upnp",),
        identification=ident,
        findings=(finding,),
        risk=score_host([finding], DeviceType.OTHER),
        notes=("the network's router; its forwards are listed under Internet exposure",),
    )


def _cloud_paths(
    host: Host, rules: Sequence[CloudService], vendors: VendorLookup | None
) -> list[ExposurePath]:
    paths = []
    weak = [
        f for f in host.findings if f.id.startswith(_CRITICAL_PREFIXES) or f.id in _CRITICAL_IDS
    ]
    for match in cloud_services_of(host, rules, vendors):
        device = _device_words(host) or "the device"
        what = "; ".join(f.title for f in weak) or "its cloud account password"
        paths.append(
            ExposurePath(
                kind=ExposureKind.CLOUD,
                host=host.ip,
                path=f"internet -> {match.service.name} relay (no forward needed) -> "
                f"{host.ip} ({device}) -> {what}",
                severity=Severity.HIGH if weak else Severity.MEDIUM,
                confidence=match.confidence,
                service=match.service.name,
                weaknesses=tuple(f.title for f in weak),
                finding_ids=tuple(f.id for f in weak),
                caveat=f"{match.evidence}; {match.service.meaning}",
            )
        )
    return paths


def build_exposure(
    readings: Sequence[RouterReading],
    hosts: Sequence[Host],
    *,
    scanned: set[tuple[str, int]],
    in_scope: set[str],
    notes: Sequence[str] = (),
    cloud: Sequence[CloudService] | None = None,
    vendors: VendorLookup | None = None,
) -> tuple[list[Host], InternetExposure]:
    """The hosts with their exposure findings added, and the report's exposure section.

    ``scanned`` holds the (address, port) pairs the scan swept; ``in_scope`` the forwarded
    addresses camsweep was allowed to scan; ``cloud`` the signature set's cloud services and
    ``vendors`` its vendor lookup (the shipped ones when None).
    """
    rules = shipped_cloud_services() if cloud is None else cloud
    by_ip = {h.ip: h for h in hosts}
    order = [h.ip for h in hosts]
    paths: list[ExposurePath] = []
    extra_notes = list(notes)
    per_port: dict[tuple[str, int], list[ExposurePath]] = {}
    for reading in readings:
        for forward in reading.forwards:
            if not forward.enabled:
                extra_notes.append(
                    f"router {reading.address}: the forward of port {forward.external_port} "
                    f"({forward.protocol}) to {forward.internal_client}:{forward.internal_port} "
                    "is switched off"
                )
                continue
            host = by_ip.get(forward.internal_client)
            key = (forward.internal_client, forward.internal_port)
            path = _forward_path(
                forward, reading, host, key in scanned, forward.internal_client in in_scope
            )
            paths.append(path)
            if host is not None:
                per_port.setdefault(key, []).append(path)
    for (ip, _port), group in per_port.items():
        by_ip[ip] = _add_findings(by_ip[ip], [_forward_finding(group)])
    for reading in readings:
        finding = _router_finding(reading)
        if finding is None:
            continue
        if reading.address in by_ip:
            by_ip[reading.address] = _add_findings(by_ip[reading.address], [finding])
        else:
            by_ip[reading.address] = _router_host(reading, finding)
            order.append(reading.address)
    for ip in order:
        paths.extend(_cloud_paths(by_ip[ip], rules, vendors))
    paths.sort(
        key=lambda p: (-p.severity.rank, p.kind != ExposureKind.FORWARD, p.host, p.port or 0)
    )
    blind = not any(r.status is RouterStatus.READ for r in readings)
    if blind:
        unread = [r for r in readings if r.status is not RouterStatus.SKIPPED]
        if unread:
            extra_notes.insert(
                0,
                "camsweep could not see the router's forwards ("
                + "; ".join(f"{r.address}: {r.reason}" for r in unread)
                + "): a device may still be forwarded to the internet. This is a blind spot, "
                "not a sign that nothing is exposed: check the router's port-forwarding page.",
            )
    return [by_ip[ip] for ip in order], InternetExposure(
        routers=tuple(readings), paths=tuple(paths), notes=tuple(extra_notes), blind=blind
    )
