"""Make, model and class from what devices say about themselves on the LAN.

Fingerprint signatures come first: they can match discovery fields like any other (``mac.vendor``,
``mdns.*``, ``ssdp.*``, ``onvif.*``). What they leave open is filled from the device's own
statements, each with the evidence line that decided it:

1. WS-Discovery scopes (ONVIF Core s7.3.2.2): ``hardware`` is the model; ``name`` often starts
   with the make; a ``NetworkVideoTransmitter`` is a camera (or a video encoder);
2. the UPnP device description (UDA s2.3): ``manufacturer``, ``modelName``/``modelNumber`` and a
   firmware element;
3. DNS-SD TXT attributes (RFC 6763 s6): the common ``manufacturer``/``model`` keys, and HomeKit's
   ``md`` (model) and ``ci`` (accessory category: 17 IP camera, 18 video doorbell);
4. the MAC's OUI, only when its owner is a vendor the signatures know, and only the vendor: an
   OUI names the network chip's maker, which for white-label cameras is not the brand.

A make becomes the vendor only when the signatures know it (so one maker never shows up under
two spellings), except a UPnP ``manufacturer``, which is a statement of the make by definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from scanner.match.engine import SignatureSet
from scanner.match.orgname import maker_spellings
from scanner.models import DeviceType, Identification, Protocol, ServiceResult

__all__ = ["Claim", "claims_from", "enrich_identification", "known_vendor"]

_MAX_TEXT = 100
# HomeKit Accessory Protocol, "Accessory Categories": 17 IP camera, 18 video doorbell.
_HAP_CAMERA_CATEGORIES = frozenset({"17", "18"})
_MDNS_VENDOR_KEYS = ("manufacturer", "mf", "vendor", "mfg", "brand")
_MDNS_MODEL_KEYS = ("model", "md", "mdl", "modelname", "product")
_MDNS_FIRMWARE_KEYS = ("firmware", "fw", "fwversion", "fv", "sw", "swversion")


@dataclass(frozen=True, slots=True)
class Claim:
    """What one piece of discovery evidence says, and the line that shows it."""

    source: str  # "ws-discovery", "ssdp", "mdns", "mac"
    line: str
    vendor: str | None = None  # display name
    model: str | None = None
    firmware: str | None = None
    camera: bool = False


def _clean(text: str | None) -> str | None:
    if not text:
        return None
    folded = " ".join("".join(c if c.isprintable() else " " for c in text).split())[:_MAX_TEXT]
    return folded or None


def _quote(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")


def known_vendor(text: str | None, signatures: SignatureSet) -> str | None:
    """The signatures' display name for a maker's spelling, or None when they do not know it.

    Tries the whole text, then without a legal suffix (``Co.,Ltd.``, ``AB``, ``Inc.``), then
    each word: registry names carry places and legal forms ("Hangzhou Hikvision Digital
    Technology Co.,Ltd.") that the signature aliases leave out.
    """
    if not text:
        return None
    candidates = maker_spellings(text)
    for candidate in candidates:
        vendor = signatures.vendor(candidate)
        if vendor is not None:
            return vendor.name
    return None


def _onvif(fields: dict[str, str], signatures: SignatureSet) -> Claim | None:
    hardware = _clean(fields.get("onvif.hardware"))
    name = _clean(fields.get("onvif.name"))
    camera = any(
        t.rsplit(":", 1)[-1] == "NetworkVideoTransmitter"
        for t in fields.get("onvif.types", "").split()
    )
    vendor = model = None
    lines = []
    if name:
        first, _, rest = name.partition(" ")
        vendor = known_vendor(first, signatures) or known_vendor(name, signatures)
        if vendor:
            lines.append(f"make {vendor!r} from onvif.name = {_quote(name)}")
            if not hardware and rest:
                model = _clean(rest)
    if hardware:
        first, _, rest = hardware.partition(" ")
        if vendor is None and rest and (maker := known_vendor(first, signatures)):
            vendor, model = maker, _clean(rest)
        else:
            model = hardware
        lines.append(f"model {model!r} from onvif.hardware = {_quote(hardware)}")
    if camera:
        lines.append("onvif.types names a NetworkVideoTransmitter (an ONVIF camera)")
    if not lines:
        return None
    return Claim(
        "ws-discovery", "WS-Discovery scopes: " + "; ".join(lines), vendor, model, None, camera
    )


def _ssdp(fields: dict[str, str], signatures: SignatureSet) -> Claim | None:
    manufacturer = _clean(fields.get("ssdp.manufacturer"))
    model = _clean(fields.get("ssdp.model_name")) or _clean(fields.get("ssdp.model_number"))
    firmware = _clean(fields.get("ssdp.firmware"))
    if not (manufacturer or model or firmware):
        return None
    vendor = known_vendor(manufacturer, signatures) or manufacturer
    parts = []
    if manufacturer:
        parts.append(f"ssdp.manufacturer = {_quote(manufacturer)}")
    if model:
        parts.append(f"model {model!r}")
    if firmware:
        parts.append(f"firmware {firmware!r}")
    return Claim("ssdp", "UPnP device description: " + "; ".join(parts), vendor, model, firmware)


def _first(fields: dict[str, str], keys: Sequence[str]) -> tuple[str, str] | None:
    for key in keys:
        value = _clean(fields.get(f"mdns.txt.{key}"))
        if value:
            return key, value
    return None


def _mdns(fields: dict[str, str], signatures: SignatureSet) -> Claim | None:
    maker = _first(fields, _MDNS_VENDOR_KEYS)
    model = _first(fields, _MDNS_MODEL_KEYS)
    firmware = _first(fields, _MDNS_FIRMWARE_KEYS)
    service_type = fields.get("mdns.service_type", "")
    camera = service_type == "_hap._tcp" and fields.get("mdns.txt.ci") in _HAP_CAMERA_CATEGORIES
    vendor = known_vendor(maker[1], signatures) if maker else None
    parts = []
    if vendor and maker:
        parts.append(f"make {vendor!r} from mdns.txt.{maker[0]} = {_quote(maker[1])}")
    if model:
        parts.append(f"model {model[1]!r} from mdns.txt.{model[0]}")
    if firmware:
        parts.append(f"firmware {firmware[1]!r} from mdns.txt.{firmware[0]}")
    if camera:
        parts.append(f"HomeKit category {fields.get('mdns.txt.ci')} (camera)")
    if not parts:
        return None
    return Claim(
        "mdns",
        f"DNS-SD {service_type or 'service'} TXT: " + "; ".join(parts),
        vendor,
        model[1] if model else None,
        firmware[1] if firmware else None,
        camera,
    )


def claims_from(
    services: Sequence[ServiceResult],
    signatures: SignatureSet,
    *,
    mac_oui: str | None = None,
    mac_vendor: str | None = None,
) -> list[Claim]:
    """Every claim the discovery pseudo-services (and the MAC) make, strongest source first."""
    by_source: dict[Protocol, list[Claim]] = {}
    readers = {Protocol.WSDISCOVERY: _onvif, Protocol.SSDP: _ssdp, Protocol.MDNS: _mdns}
    for service in services:
        reader = readers.get(service.protocol)
        if reader is None:
            continue
        claim = reader(dict(service.fields), signatures)
        if claim is not None:
            by_source.setdefault(service.protocol, []).append(claim)
    claims = [
        c
        for p in (Protocol.WSDISCOVERY, Protocol.SSDP, Protocol.MDNS)
        for c in by_source.get(p, [])
    ]
    vendor = known_vendor(mac_vendor, signatures)
    if vendor and mac_vendor:
        claims.append(
            Claim(
                "mac",
                f"MAC vendor: OUI {mac_oui or '?'} belongs to {_quote(mac_vendor)} (the network "
                "chip's maker; white-label cameras often carry a chip vendor's OUI instead)",
                vendor,
            )
        )
    return claims


def enrich_identification(
    ident: Identification,
    services: Sequence[ServiceResult],
    signatures: SignatureSet,
    *,
    mac_oui: str | None = None,
    mac_vendor: str | None = None,
) -> Identification:
    """Fill what fingerprints left open from discovery claims; fingerprints always win."""
    claims = claims_from(services, signatures, mac_oui=mac_oui, mac_vendor=mac_vendor)
    if not claims:
        return ident
    vendor, model, firmware = ident.vendor, ident.model, ident.firmware
    device_type = ident.device_type
    lines = list(ident.identified_by)
    for claim in claims:
        agrees = claim.vendor is None or vendor is None or claim.vendor == vendor
        used = []
        if vendor is None and claim.vendor is not None:
            vendor = claim.vendor
            used.append("make")
        if agrees and model is None and claim.model is not None:
            model = claim.model
            used.append("model")
        if agrees and firmware is None and claim.firmware is not None:
            firmware = claim.firmware
            used.append("firmware")
        if claim.camera and device_type is DeviceType.UNKNOWN:
            device_type = DeviceType.CAMERA
            used.append("device type")
        if used:
            lines.append(f"{claim.line} (decided the {', '.join(used)})")
        elif not agrees:
            lines.append(f"{claim.line} (outweighed: identified as {vendor})")
    return replace(
        ident,
        vendor=vendor,
        model=model,
        firmware=firmware,
        device_type=device_type,
        identified_by=tuple(lines),
    )
