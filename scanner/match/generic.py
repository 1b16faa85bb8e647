"""Identification that generalises: what to say about a device no fingerprint describes.

Runs after the fingerprints (``SignatureSet.identify``) on the same evidence and adds three
opinions, each explained line by line in ``identified_by``:

- **the generic classifier**: weighted vocabulary (camera, recorder and false-friend words in
  several languages), model-number shapes, ONVIF, RTSP with a video track and vendor control ports
  (``signatures/identify/classifier.yaml``). It answers *probable* camera or recorder, or
  *probable* other, and lists the clues and their weights;
- **vendor from text**: the brand alias table (every vendor's name and aliases, including the OEM
  badges of ``signatures/vendors_brands.yaml``) and the model-number shapes of
  ``signatures/identify/models.yaml``, searched in every text field;
- **nmap's database** as a second opinion (``scanner/match/nmapdb.py``), marked ``source=nmap-db``,
  consulted only for devices the fingerprints left undecided.

A fingerprint's answer is never overridden: the classifier only decides devices whose type the
fingerprints left unknown, and text only names a vendor the fingerprints did not (or the OEM
badge of the maker they named).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.match.identify_data import ClassifierData, ModelShape, classifier_data
from scanner.match.nmapdb import NmapDB, answers_from_fields, default_db
from scanner.match.orgname import maker_spellings
from scanner.models import DeviceType, Identification

if TYPE_CHECKING:
    from scanner.match.engine import Evidence, SignatureSet
    from scanner.match.schema import VendorInfo

__all__ = [
    "Clue",
    "TextTables",
    "Verdict",
    "classify",
    "refine",
    "surveillance_brands",
    "tables_for",
    "warm_up",
]

_MAX_SCAN = 16384  # a term is looked for in the first 16 KiB of a field
_SHOW = 40
PROBABLE = "probable"

_LABELS = {
    "http.title": "title",
    "http.realm": "realm",
    "rtsp.realm": "RTSP realm",
    "http.server": "HTTP Server header",
    "rtsp.server": "RTSP Server header",
    "http.location": "redirect",
    "http.body": "page",
    "http.form": "login form",
    "telnet.banner": "Telnet greeting",
    "telnet.prompt": "Telnet prompt",
    "ftp.banner": "FTP greeting",
    "ssh.banner": "SSH greeting",
    "tcp.banner": "banner",
    "tls.subject": "TLS certificate subject",
    "tls.issuer": "TLS certificate issuer",
    "rtsp.sdp_session": "RTSP session name",
    "rtsp.sdp_info": "RTSP session info",
    "nmap.product": "nmap product",
}


def label(name: str) -> str:
    """A field's name in a sentence: ``http.realm`` -> ``realm``; fields without a short name
    keep their vocabulary name (``onvif.hardware``), as fingerprint evidence lines do."""
    return _LABELS.get(name, name)


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= _SHOW else text[: _SHOW - 3] + "...")


@dataclass(frozen=True, slots=True)
class Clue:
    """One piece of evidence the classifier used, with its signed weight."""

    id: str
    kind: DeviceType  # CAMERA, RECORDER or OTHER
    weight: float
    text: str  # "realm names 'DVR'"
    source: str = "camsweep"

    def describe(self) -> str:
        tail = " (source=nmap-db)" if self.source == "nmap-db" else ""
        return f"{self.text} ({self.weight:+.0f}){tail}"


@dataclass(frozen=True)
class Verdict:
    device_type: DeviceType  # CAMERA / RECORDER / OTHER when decided, else UNKNOWN
    score: float
    clues: tuple[Clue, ...]
    vendor: str | None = None  # vendor id named by text
    vendor_why: str = ""
    model: str | None = None

    def line(self, threshold: int) -> str | None:
        if self.device_type is DeviceType.UNKNOWN or not self.clues:
            return None
        shown = [
            c for c in self.clues if (c.weight > 0) == (self.device_type is not DeviceType.OTHER)
        ]
        why = "; ".join(c.describe() for c in shown)
        return (
            f"{PROBABLE} {self.device_type.value}: {why} "
            f"[generic classifier, score {self.score:.0f}, threshold {threshold}]"
        )


# --- vendor from text -----------------------------------------------------------------------


@dataclass(frozen=True)
class TextTables:
    """The alias index and model shapes of one signature set (one per LOVO fold)."""

    names: re.Pattern[str] | None  # every unambiguous spelling, longest first
    owner: dict[str, str]  # lower-case spelling -> vendor id
    owner_compact: dict[str, str]  # the same without separators ("cpplus" for "CP PLUS")
    manufacturer_owner: dict[str, str]  # every spelling, for manufacturer fields
    families: dict[str, str | None]
    surveillance: frozenset[str]  # vendor ids whose name is camera evidence
    models: tuple[ModelShape, ...]
    data: ClassifierData = field(repr=False)


_CACHE: dict[int, tuple[object, TextTables]] = {}


def tables_for(sigs: SignatureSet, data: ClassifierData | None = None) -> TextTables:
    """The text tables of ``sigs``, built once per signature set."""
    data = data or classifier_data()
    key = id(sigs) ^ id(data)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] is sigs:
        return cached[1]
    tables = _build(sigs.vendors, data, _camera_vendors(sigs))
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[key] = (sigs, tables)
    return tables


def _camera_vendors(sigs: SignatureSet) -> set[str]:
    kinds = (DeviceType.CAMERA, DeviceType.RECORDER)
    return {fp.vendor for fp in sigs.fingerprints if fp.device_type in kinds}


def _build(vendors: Iterable[VendorInfo], data: ClassifierData, camera: set[str]) -> TextTables:
    owner: dict[str, str] = {}
    manufacturer: dict[str, str] = {}
    families: dict[str, str | None] = {}
    surveillance: set[str] = set()
    for vendor in vendors:
        families[vendor.id] = vendor.family
        if (
            vendor.family
            or vendor.id in camera
            or vendor.id in data.camera_makers
            or _is_brand_entry(vendor)
        ):
            surveillance.add(vendor.id)
        for spelling in (vendor.name, *vendor.aliases):
            key = _key(spelling)
            if not key:
                continue
            manufacturer.setdefault(key, vendor.id)
            if len(key) < 4 or key in data.ambiguous_names or not re.search("[a-z]", key):
                continue
            owner.setdefault(key, vendor.id)
    surveillance -= data.mixed_brands
    alternatives = sorted(owner, key=len, reverse=True)
    names = (
        re.compile(
            # space, '-' and '_' are one separator ("Indigo-Security"); a brand run into a
            # capitalised word still counts ("AvigilonOnvifNvt")
            r"(?<![A-Za-z0-9])(?:"
            + "|".join(_spelling_pattern(a) for a in alternatives)
            + r")(?-i:(?![a-z0-9]))",
            re.IGNORECASE,
        )
        if alternatives
        else None
    )
    models = tuple(m for m in data.models if m.vendor in families)
    compact: dict[str, str] = {}
    for key, vid in owner.items():
        compact.setdefault(key.replace(" ", ""), vid)
    return TextTables(
        names, owner, compact, manufacturer, families, frozenset(surveillance), models, data
    )


def _key(spelling: str) -> str:
    """A spelling as the tables keep it: lower case, one space for any run of ' ', '-', '_'."""
    return re.sub(r"[ _-]+", " ", spelling.strip().lower())


def _spelling_pattern(spelling: str) -> str:
    return "[ _-]?".join(re.escape(part) for part in re.split(r"[ _-]+", spelling))


# The alias tables of surveillance brands and badges (signatures/vendors_brands.yaml,
# vendors_aliases.yaml): every entry there is a camera or recorder brand. vendors.yaml also
# holds makers of routers, printers and TVs, so only its camera fingerprints make a brand.
_BRAND_TABLES = ("vendors_brands", "vendors_aliases")


def _is_brand_entry(vendor: VendorInfo) -> bool:
    return Path(vendor.source.file).stem in _BRAND_TABLES


def surveillance_brands(sigs: SignatureSet) -> frozenset[str]:
    """The vendor ids whose name in a device's text is camera evidence (the alias table's
    surveillance brands and badges, and every maker with a camera fingerprint)."""
    return tables_for(sigs).surveillance


_TOKEN_END = re.compile(r"[\s\"'<>(),;&]")


def _model_token(text: str, start: int, end: int) -> str:
    """The model number a shape matched: the first token of the match that carries a digit
    ("AXIS M1031-W ..." -> "M1031-W"), read to its end."""
    pos = start
    for token in text[start:end].split():
        if any("0" <= ch <= "9" for ch in token):  # ASCII digits only (issue #19)
            pos = text.index(token, pos)
            break
        pos = text.index(token, pos) + len(token)
    while pos < len(text) and text[pos].isspace():
        pos += 1
    stop = _TOKEN_END.search(text, pos)
    token = text[pos : stop.start() if stop else len(text)]
    return token[:40].rstrip(".-_/:")


@dataclass
class _Candidate:
    vendor: str
    score: int
    why: str
    model: str | None = None
    device_type: DeviceType | None = None


def _text_vendor(
    tables: TextTables, values: Iterable[tuple[str, int | None, str]]
) -> list[_Candidate]:
    found: dict[str, _Candidate] = {}

    def offer(c: _Candidate) -> None:
        have = found.get(c.vendor)
        if have is None or c.score > have.score:
            found[c.vendor] = c

    for name, port, value in values:
        text = value[:_MAX_SCAN]
        where = label(name) + (f" on port {port}" if port is not None else "")
        if name in tables.data.manufacturer_fields:
            # a registry's or a device's organisation name, read down to the brand it holds
            vid = next(
                (
                    tables.manufacturer_owner[key]
                    for key in map(_key, maker_spellings(text))
                    if key in tables.manufacturer_owner
                ),
                None,
            )
            if vid:
                offer(_Candidate(vid, 3, f"{where} is {_quote(text)}"))
        for shape in tables.models:
            hit = shape.pattern.search(text)
            if hit is not None:
                model = _model_token(text, hit.start(), hit.end())
                offer(
                    _Candidate(
                        shape.vendor,
                        3,
                        f"{where} carries model number {_quote(model)}, a "
                        f"{shape.vendor} {shape.device_type.value} shape",
                        model,
                        shape.device_type,
                    )
                )
        if tables.names is not None and name != "http.body" and tables.data.factor(name) > 0:
            for hit in tables.names.finditer(text):
                # the pattern lets a separator go missing ("CPPLUS DVR"): so does the lookup
                key = _key(hit.group(0))
                vid = tables.owner.get(key) or tables.owner_compact.get(key.replace(" ", ""))
                if vid:
                    offer(_Candidate(vid, 2, f"{where} names {_quote(hit.group(0))}"))
    return sorted(found.values(), key=lambda c: -c.score)


def _pick(tables: TextTables, candidates: list[_Candidate]) -> _Candidate | None:
    if not candidates:
        return None
    best = candidates[0]
    # An OEM badge is the more precise name when its maker is named too (LTS shows DS-2CD).
    for cand in candidates:
        if tables.families.get(cand.vendor) == best.vendor:
            return _Candidate(
                cand.vendor, cand.score, f"{cand.why}; {best.why}", best.model, best.device_type
            )
    return best


# --- the classifier -------------------------------------------------------------------------


def _values(ev: Evidence, data: ClassifierData) -> list[tuple[str, int | None, str]]:
    out: list[tuple[str, int | None, str]] = []
    for name, pairs in ev.values.items():
        if data.factor(name) <= 0 and name not in data.manufacturer_fields:
            continue
        out.extend((name, port, value) for port, value in pairs if value)
    return out


def _term_clues(data: ClassifierData, values: list[tuple[str, int | None, str]]) -> list[Clue]:
    """One clue per term, from the field class where it counts most. A clue found only in a
    page body is marked ``page``: page words alone never make a camera (a 3-D printer's page
    shows its webcam)."""
    clues: list[Clue] = []
    for term in data.terms:
        best: tuple[float, str] | None = None
        for name, port, value in values:
            factor = data.factor(name)
            if factor <= 0 or (best is not None and best[0] >= factor):
                continue
            hit = term.pattern.search(value[:_MAX_SCAN])
            if hit is None:
                continue
            verb = "names" if "realm" in name else "says"
            where = label(name) + (f" on port {port}" if port is not None else "")
            best = (factor, f"{where} {verb} {_quote(hit.group(0))}")
        if best is not None:
            source = "page" if best[0] < 1.0 else "camsweep"
            clues.append(Clue(term.id, term.kind, term.weight * best[0], best[1], source))
    return clues


def _serves_describe(ev: Evidence) -> bool:
    """An RTSP server that serves streams: its ``Public`` list names DESCRIBE, or it names
    itself without a list. A server whose list lacks DESCRIBE only receives (AirPlay's
    ANNOUNCE/RECORD, a publishing endpoint): no stream to watch, no camera clue."""
    publics = [v.upper() for _, v in ev.values.get("rtsp.public", ())]
    if any("DESCRIBE" in v for v in publics):
        return True
    return not publics and "rtsp.server" in ev.values


def _shared_realm(ev: Evidence) -> str | None:
    """The realm both an HTTP and an RTSP login ask for, when they are the same (ignoring
    case and surrounding space), else None."""
    web = {v.strip().lower(): v for _, v in ev.values.get("http.realm", ()) if v.strip()}
    for _, realm in ev.values.get("rtsp.realm", ()):
        if realm.strip().lower() in web:
            return realm.strip()
    return None


def _protocol_clues(data: ClassifierData, ev: Evidence) -> list[Clue]:
    clues: list[Clue] = []

    def add(pid: str, kind: DeviceType, text: str) -> None:
        weight, says = data.protocols[pid]
        clues.append(Clue(pid, kind, float(weight), f"{says}{text}"))

    types = " ".join(v for _, v in ev.values.get("onvif.types", ()))
    if "NetworkVideoTransmitter" in types:
        add("onvif-video-transmitter", DeviceType.CAMERA, "")
    elif any(k.startswith("onvif.") for k in ev.values):
        add("onvif-device", DeviceType.CAMERA, "")
    sdp = [(p, v) for p, v in ev.values.get("rtsp.sdp", ()) if re.search(r"(?m)^m=video ", v)]
    if sdp:
        add("rtsp-video", DeviceType.CAMERA, f" (port {sdp[0][0]})" if sdp[0][0] else "")
    if _serves_describe(ev):
        add("rtsp-describe", DeviceType.CAMERA, "")
    auth = [v for _, v in ev.values.get("rtsp.auth", ()) if v in ("basic", "digest")]
    if auth:
        add("rtsp-protected", DeviceType.CAMERA, "")
        shared = _shared_realm(ev)
        if shared:
            add("shared-login", DeviceType.CAMERA, f" ({_quote(shared)})")
    clues.extend(
        Clue(f"port-{term.port}", DeviceType.CAMERA, float(term.weight), term.says)
        for term in data.ports
        if term.port in ev.open_ports
    )
    return clues


def _nmap_clues(
    data: ClassifierData, db: NmapDB, ev: Evidence
) -> tuple[list[Clue], list[tuple[str, int | None, str]]]:
    per_port: dict[int | None, dict[str, str]] = {}
    for name, pairs in ev.values.items():
        for port, value in pairs:
            per_port.setdefault(port, {})[name] = value
    hits = db.match(answers_from_fields(per_port.items()))
    clues: list[Clue] = []
    products: list[tuple[str, int | None, str]] = []
    for hit in hits:
        where = f"port {hit.port}" if hit.port is not None else "the host"
        said = (
            f"nmap-service-probes line {hit.line.line} ({hit.line.probe} probe) matches the answer "
            f"on {where}: {_quote(hit.product)}"
            + (f" d/{hit.line.devicetype}/" if hit.line.devicetype else "")
        )
        pid = "nmap-camera" if hit.camera else "nmap-other"
        weight, _ = data.protocols[pid]
        kind = DeviceType.CAMERA if hit.camera else DeviceType.OTHER
        clues.append(Clue(pid, kind, float(weight), said, source="nmap-db"))
        products.append(("nmap.product", hit.port, hit.product))
    # one opinion from nmap per kind: several lines for one device are one witness
    seen: set[str] = set()
    unique = [c for c in clues if not (c.id in seen or seen.add(c.id))]  # type: ignore[func-returns-value]
    return unique, products


def classify(
    sigs: SignatureSet,
    ev: Evidence,
    *,
    known_vendor: str | None = None,
    nmap: NmapDB | None = None,
    data: ClassifierData | None = None,
) -> Verdict:
    """The generic classifier's verdict on one host, with every clue it used."""
    tables = tables_for(sigs, data)
    data = tables.data
    values = _values(ev, data)
    clues = _term_clues(data, values) + _protocol_clues(data, ev)
    if nmap is not None:
        nmap_clues, products = _nmap_clues(data, nmap, ev)
        clues += nmap_clues
        values += products
    pick = _pick(tables, _text_vendor(tables, values))
    if pick is not None and pick.device_type is not None:
        weight, says = data.protocols["model-number"]
        # a known family's model number outweighs the bare shape of one: one witness, not two
        clues = [c for c in clues if c.id != "model-shape"]
        clues.append(Clue("model-number", pick.device_type, float(weight), f"{says} ({pick.why})"))
    brand = known_vendor or (pick.vendor if pick else None)
    if brand is not None and brand in tables.surveillance and not (pick and pick.device_type):
        weight, says = data.protocols["surveillance-brand"]
        why = pick.why if pick and pick.vendor == brand else f"vendor {brand} from the fingerprints"
        clues.append(
            Clue("surveillance-brand", DeviceType.CAMERA, float(weight), f"{says} ({why})")
        )
    score = sum(c.weight for c in clues)
    if not any(c.weight > 0 and c.source != "page" for c in clues):
        score = min(score, data.threshold - 1)  # page words alone are not enough
    recorder = sum(c.weight for c in clues if c.kind is DeviceType.RECORDER)
    # a brand says "surveillance", not which device: it never outvotes a recorder word
    camera = sum(
        c.weight for c in clues if c.kind is DeviceType.CAMERA and c.id != "surveillance-brand"
    )
    if score >= data.threshold:
        kind = DeviceType.RECORDER if recorder > camera else DeviceType.CAMERA
    elif score <= data.other_threshold:
        kind = DeviceType.OTHER
    else:
        kind = DeviceType.UNKNOWN
    ordered = tuple(sorted(clues, key=lambda c: -abs(c.weight)))
    return Verdict(
        kind,
        score,
        ordered,
        vendor=pick.vendor if pick else None,
        vendor_why=pick.why if pick else "",
        model=pick.model if pick else None,
    )


def refine(
    sigs: SignatureSet,
    ev: Evidence,
    ident: Identification,
    vendor_id: str | None,
    *,
    use_nmap: bool = True,
) -> Identification:
    """The fingerprints' identification completed by the classifier, text and nmap's database."""
    decided = ident.device_type is not DeviceType.UNKNOWN
    db = default_db() if use_nmap and not decided else None
    verdict = classify(sigs, ev, known_vendor=vendor_id, nmap=db)
    data = tables_for(sigs).data
    lines = list(ident.identified_by)
    changes: dict[str, object] = {}
    if not decided and verdict.device_type is not DeviceType.UNKNOWN:
        changes["device_type"] = verdict.device_type
        line = verdict.line(data.threshold)
        if line:
            lines.append(line)
    text_vendor = sigs.vendor(verdict.vendor) if verdict.vendor else None
    if text_vendor is not None:
        family = text_vendor.family
        unnamed = vendor_id is None and ident.vendor is None
        if unnamed or (family is not None and family == vendor_id):
            changes["vendor"] = text_vendor.name
            lines.append(f"vendor {text_vendor.name} from text: {verdict.vendor_why}")
            if ident.model is None and verdict.model:
                changes["model"] = verdict.model
    if not changes:
        return ident
    return replace(ident, identified_by=tuple(lines), **changes)  # type: ignore[arg-type]


def warm_up(sigs: SignatureSet) -> None:
    """Build the text tables now and load nmap's database in a background thread, so neither
    lands inside the first host's deadline (the scan calls this before it starts)."""
    tables_for(sigs)
    threading.Thread(target=default_db, name="camsweep-nmap-db", daemon=True).start()
