"""The identification corpus (README.md here): loading it and scoring a signature set on it.

Shared by ``tests/match/test_corpus.py`` (which holds the scores to issue 5's aims) and
``benchmarks/identify_bench.py`` (which prints them), so both measure the same thing.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from scanner.match import SignatureSet
from scanner.match.matchers import is_known_field
from scanner.models import DeviceType, Identification, Protocol, ServiceResult

__all__ = [
    "CAMERAS",
    "CAMERA_FILES",
    "OTHERS",
    "OTHER_FILES",
    "CorpusDevice",
    "CorpusError",
    "Lovo",
    "Result",
    "Score",
    "fired_on_others",
    "known_empty",
    "leave_one_vendor_out",
    "load_all",
    "load_corpus",
    "lovo_clueless",
    "score",
    "vendor_group",
    "without",
]

HERE = Path(__file__).resolve().parent
CAMERAS = HERE / "cameras.yaml"
OTHERS = HERE / "others.yaml"
# Every corpus file: cameras*.yaml hold cameras and recorders, others*.yaml the rest.
CAMERA_FILES = tuple(sorted(HERE.glob("cameras*.yaml")))
OTHER_FILES = tuple(sorted(HERE.glob("others*.yaml")))
CAMERA_TYPES = (DeviceType.CAMERA, DeviceType.RECORDER)
# What every probe records whatever the device says: an entry with nothing else is known-empty.
STATUS_ONLY = frozenset({"http.status", "http.auth", "rtsp.auth", "http.path"})


class CorpusError(ValueError):
    """A corpus entry that is not well formed (unknown field, bad port, missing key ...)."""


@dataclass(frozen=True)
class CorpusDevice:
    id: str
    camera: bool  # from cameras.yaml
    vendor: str | None  # the vendor id a person would name; None when nothing names one
    services: tuple[ServiceResult, ...]
    open_ports: tuple[int, ...]
    host: dict[str, str] = field(default_factory=dict)
    source: str = ""  # where the strings were seen
    file: str = ""  # the corpus file it came from

    @property
    def from_nmap(self) -> bool:
        """Rebuilt from nmap's own match lines: nmap's database must not vote on it."""
        return "nmap-service-probes" in self.source

    @property
    def from_public_records(self) -> bool:
        """Read from other scanners' public fingerprint records (``*-public*.yaml``)."""
        return "-public" in self.file

    @property
    def known_empty(self) -> bool:
        """Nothing the device said beyond a status code (README.md, "known-empty"): no text
        to identify it by, so no device's string to measure on."""
        return (
            not self.host
            and not self.open_ports
            and all(set(s.fields) <= STATUS_ONLY for s in self.services)
        )


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise CorpusError(f"{where}: expected text, got {type(value).__name__}")
    return value


def _fields(raw: object, where: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise CorpusError(f"{where}: fields must be a mapping")
    out: dict[str, str] = {}
    for name, value in raw.items():
        if not isinstance(name, str) or not is_known_field(name):
            raise CorpusError(f"{where}: unknown evidence field {name!r}")
        out[name] = _text(value, f"{where} {name}")
    return out


def _port(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 65535:
        raise CorpusError(f"{where}: bad port {value!r}")
    return value


def load_corpus(path: Path) -> list[CorpusDevice]:
    """Every device of one corpus file, validated; raises CorpusError on a malformed entry."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or not isinstance(doc.get("devices"), list):
        raise CorpusError(f"{path.name}: expected a mapping with a 'devices' list")
    camera = path.name.startswith("cameras")
    devices: list[CorpusDevice] = []
    seen: set[str] = set()
    for entry in doc["devices"]:
        if not isinstance(entry, dict):
            raise CorpusError(f"{path.name}: every device must be a mapping")
        did = _text(entry.get("id"), f"{path.name}: id")
        where = f"{path.name}:{did}"
        if did in seen:
            raise CorpusError(f"{where}: duplicate id")
        seen.add(did)
        unknown = set(entry) - {"id", "note", "source", "expect", "host", "services", "ports"}
        if unknown:
            raise CorpusError(f"{where}: unknown keys {sorted(unknown)}")
        expect = entry.get("expect") or {}
        if not isinstance(expect, dict):
            raise CorpusError(f"{where}: expect must be a mapping")
        if camera and "vendor" not in expect:
            raise CorpusError(f"{where}: a camera entry must say its vendor (or null)")
        vendor = expect.get("vendor")
        if vendor is not None:
            vendor = _text(vendor, f"{where} vendor")
        services: list[ServiceResult] = []
        for raw in entry.get("services") or []:
            if not isinstance(raw, dict):
                raise CorpusError(f"{where}: every service must be a mapping")
            port = _port(raw.get("port"), where)
            try:
                protocol = Protocol(_text(raw.get("protocol"), f"{where} protocol"))
            except ValueError as exc:
                raise CorpusError(f"{where}: {exc}") from None
            services.append(ServiceResult(port, protocol, fields=_fields(raw.get("fields"), where)))
        ports = tuple(_port(p, where) for p in entry.get("ports") or [])
        host = _fields(entry.get("host") or {}, where)
        if not services and not ports and not host:
            raise CorpusError(f"{where}: no evidence at all")
        source = entry.get("source") or ""
        if not isinstance(source, str):
            raise CorpusError(f"{where}: source must be text")
        devices.append(
            CorpusDevice(did, camera, vendor, tuple(services), ports, host, source, path.name)
        )
    return devices


def load_all() -> tuple[list[CorpusDevice], list[CorpusDevice]]:
    """(cameras, others) from every corpus file, without the known-empty entries (see
    ``known_empty``); ids are unique across files."""
    cameras, others = _load_every()
    return [d for d in cameras if not d.known_empty], [d for d in others if not d.known_empty]


def known_empty() -> list[CorpusDevice]:
    """The entries ``load_all`` leaves out: a status code and nothing a device said."""
    cameras, others = _load_every()
    return [d for d in cameras + others if d.known_empty]


def _load_every() -> tuple[list[CorpusDevice], list[CorpusDevice]]:
    cameras, others = _parsed()
    return list(cameras), list(others)


@functools.cache
def _parsed() -> tuple[tuple[CorpusDevice, ...], tuple[CorpusDevice, ...]]:
    """Every corpus file parsed once per process (the devices are frozen; callers get lists)."""
    cameras = tuple(d for path in CAMERA_FILES for d in load_corpus(path))
    others = tuple(d for path in OTHER_FILES for d in load_corpus(path))
    ids = [d.id for d in cameras + others]
    if len(ids) != len(set(ids)):
        raise CorpusError("a device id is used in two corpus files")
    return cameras, others


@dataclass(frozen=True)
class Result:
    device: CorpusDevice
    ident: Identification
    vendor_id: str | None

    @property
    def called_camera(self) -> bool:
        return self.ident.device_type in CAMERA_TYPES

    @property
    def vendor_right(self) -> bool:
        return self.vendor_id == self.device.vendor


@dataclass(frozen=True)
class Score:
    results: tuple[Result, ...]

    @property
    def cameras(self) -> list[Result]:
        return [r for r in self.results if r.device.camera]

    @property
    def others(self) -> list[Result]:
        return [r for r in self.results if not r.device.camera]

    @property
    def recall(self) -> float:
        """Cameras and recorders reported as a camera or recorder."""
        cams = self.cameras
        return sum(r.called_camera for r in cams) / len(cams) if cams else 0.0

    @property
    def vendor_cases(self) -> list[Result]:
        """Cameras whose vendor is known to the corpus and that were found as cameras."""
        return [r for r in self.cameras if r.device.vendor is not None and r.called_camera]

    @property
    def vendor_accuracy(self) -> float:
        cases = self.vendor_cases
        return sum(r.vendor_right for r in cases) / len(cases) if cases else 0.0

    @property
    def false_positive_rate(self) -> float:
        """Other devices reported as a camera or recorder."""
        others = self.others
        return sum(r.called_camera for r in others) / len(others) if others else 0.0

    @property
    def unbranded_named(self) -> list[Result]:
        """Unbranded cameras that were given a vendor anyway (a wrong claim)."""
        return [r for r in self.cameras if r.device.vendor is None and r.vendor_id is not None]


def score(sigs: SignatureSet, devices: Sequence[CorpusDevice], *, nmap_db: bool = True) -> Score:
    results: list[Result] = []
    for device in devices:
        open_ports = {s.port for s in device.services if s.port} | set(device.open_ports)
        ident = sigs.identify(
            list(device.services),
            sorted(open_ports),
            device.host or None,
            nmap_db=nmap_db and not device.from_nmap,
        )
        vendor = sigs.vendor(ident.vendor)
        results.append(Result(device, ident, vendor.id if vendor else None))
    return Score(tuple(results))


def vendor_group(sigs: SignatureSet, vendor_id: str, *, family: bool = False) -> frozenset[str]:
    """What leave-one-vendor-out removes: the vendor alone (issue 13: a rebadged camera may
    still be known by its maker's fingerprints, which is the point of knowing makers), or with
    ``family`` the maker and all its badges together (the stricter figure)."""
    info = sigs.vendor(vendor_id)
    if not family:
        return frozenset({info.id if info else vendor_id})
    root = (info.family or info.id) if info else vendor_id
    return frozenset({root} | {v.id for v in sigs.vendors if v.family == root})


def without(sigs: SignatureSet, group: frozenset[str]) -> SignatureSet:
    """``sigs`` without the vendors of ``group``: their fingerprints, names, aliases and model
    shapes (the shapes follow the vendor list) are gone."""
    return dataclasses.replace(
        sigs,
        vendors=tuple(v for v in sigs.vendors if v.id not in group),
        fingerprints=tuple(f for f in sigs.fingerprints if f.vendor not in group),
    )


@dataclass(frozen=True)
class Lovo:
    results: tuple[Result, ...]  # each camera scored with its vendor group left out
    groups: int

    @property
    def recall(self) -> float:
        return (
            sum(r.called_camera for r in self.results) / len(self.results) if self.results else 0.0
        )


def leave_one_vendor_out(
    sigs: SignatureSet,
    cameras: Sequence[CorpusDevice],
    *,
    family: bool = False,
    nmap_db: bool = False,
) -> Lovo:
    """Score every branded camera with its whole vendor group removed, without nmap's database
    (which names vendors too): what the generic classifier knows, not what our lists know.

    With ``nmap_db`` nmap's database votes as the second opinion a scan with nmap installed
    has (never on entries rebuilt from nmap's own lines): the figure a user with nmap sees on
    a brand camsweep's lists do not know."""
    by_group: dict[frozenset[str], list[CorpusDevice]] = {}
    for device in cameras:
        if device.vendor is not None:
            group = vendor_group(sigs, device.vendor, family=family)
            by_group.setdefault(group, []).append(device)
    results: list[Result] = []
    for group, devices in by_group.items():
        results.extend(score(without(sigs, group), devices, nmap_db=nmap_db).results)
    return Lovo(tuple(results), len(by_group))


def lovo_clueless(sigs: SignatureSet, lovo: Lovo, *, family: bool = False) -> list[Result]:
    """The cameras leave-one-vendor-out missed that carry no vendor-independent camera clue at
    all: with their vendor group gone, the generic classifier finds not one term, protocol or
    port in their favour (below the threshold or not). No generic classifier can call these
    cameras without calling clue-less devices cameras too; their share bounds LOVO recall."""
    from scanner.match.engine import Evidence  # noqa: PLC0415
    from scanner.match.generic import classify  # noqa: PLC0415

    folds: dict[frozenset[str], SignatureSet] = {}
    clueless: list[Result] = []
    for result in lovo.results:
        if result.called_camera or result.device.vendor is None:
            continue
        group = vendor_group(sigs, result.device.vendor, family=family)
        fold = folds.setdefault(group, without(sigs, group))
        device = result.device
        ports = {s.port for s in device.services if s.port} | set(device.open_ports)
        ev = Evidence.from_services(list(device.services), sorted(ports), device.host or None)
        verdict = classify(fold, ev)
        if not any(c.weight > 0 and c.kind in CAMERA_TYPES for c in verdict.clues):
            clueless.append(result)
    return clueless


# What every fingerprint fired on the other devices, per shipped signature set: the four
# record tests ask the same question of one set, and one pass over 2,800 devices is enough.
_FIRED: dict[tuple[str, ...], list[tuple[str, tuple[str, ...]]]] = {}


def fired_on_others(sigs: SignatureSet, ids: frozenset[str] | set[str]) -> list[tuple[str, str]]:
    """(device id, fingerprint id) for every fingerprint of ``ids`` that fires on a device of
    the other-devices corpus (without nmap's database): a new set of fingerprints must leave
    routers, printers, NAS boxes and TVs alone."""
    key = tuple(fp.id for fp in sigs.fingerprints)
    per_device = _FIRED.get(key)
    if per_device is None:
        _, others = load_all()
        per_device = []
        for device in others:
            ports = sorted({s.port for s in device.services if s.port} | set(device.open_ports))
            got = sigs.identify(list(device.services), ports, device.host or None, nmap_db=False)
            per_device.append((device.id, got.fingerprint_ids))
        if len(_FIRED) >= 4:
            _FIRED.clear()
        _FIRED[key] = per_device
    return [(device, fid) for device, fids in per_device for fid in fids if fid in ids]
