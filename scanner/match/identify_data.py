"""The data behind generic identification, read from ``signatures/identify/`` and checked.

``classifier.yaml`` holds the classifier's vocabulary, weights, field classes, protocol and port
evidence; ``models.yaml`` the model-number shapes of camera families. Both are data, not code: a
weight is tuned by editing a file, and a bad regex or unknown vendor is an error with the file
name, caught by ``tests/match/test_generic.py`` and at first use.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

import yaml

from scanner.match.errors import LintError, SignatureError
from scanner.match.matchers import nested_quantifier
from scanner.match.shipped import shipped_dir
from scanner.models import DeviceType

__all__ = [
    "ClassifierData",
    "ModelShape",
    "PortTerm",
    "Term",
    "classifier_data",
    "load_classifier",
]


@dataclass(frozen=True, slots=True)
class Term:
    id: str
    kind: DeviceType  # CAMERA, RECORDER or OTHER (a false friend)
    weight: int
    says: str
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class PortTerm:
    port: int
    weight: int
    says: str


@dataclass(frozen=True, slots=True)
class ModelShape:
    vendor: str
    device_type: DeviceType
    pattern: re.Pattern[str]
    source: str


@dataclass(frozen=True)
class ClassifierData:
    threshold: int
    other_threshold: int
    field_factors: tuple[tuple[str, float], ...]  # field name or 'prefix.*' -> factor
    terms: tuple[Term, ...]
    protocols: Mapping[str, tuple[int, str]]  # id -> (weight, says)
    ports: tuple[PortTerm, ...]
    mixed_brands: frozenset[str]
    camera_makers: frozenset[str]  # vendor ids defined outside the brand tables
    ambiguous_names: frozenset[str]  # lower case
    manufacturer_fields: tuple[str, ...]
    models: tuple[ModelShape, ...]

    def factor(self, field: str) -> float:
        """How much a term found in ``field`` counts (0 for fields no class lists)."""
        return _factor(self, field)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.field_factors)


@functools.lru_cache(maxsize=4096)
def _factor_cached(pairs: tuple[tuple[str, float], ...], field: str) -> float:
    for name, factor in pairs:
        if name == field or (name.endswith(".*") and field.startswith(name[:-1])):
            return factor
    return 0.0


def _factor(data: ClassifierData, field: str) -> float:
    return _factor_cached(data.field_factors, field)


class _Bad(Exception):
    pass


def _regex(text: object, where: str, flags: int = 0) -> re.Pattern[str]:
    if not isinstance(text, str) or not text:
        raise _Bad(f"{where}: regex must be text")
    if nested_quantifier(text):
        raise _Bad(f"{where}: regex has a nested quantifier that can backtrack catastrophically")
    try:
        return re.compile(text, flags)
    except re.error as exc:
        raise _Bad(f"{where}: regex does not compile: {exc}") from None


def _int(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Bad(f"{where}: expected a whole number")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise _Bad(f"{where}: expected text")
    return value


def _kind(value: object, where: str) -> DeviceType:
    try:
        return DeviceType(_text(value, where))
    except ValueError:
        raise _Bad(f"{where}: kind must be camera, recorder or other") from None


def _classifier(doc: object) -> dict[str, object]:
    if not isinstance(doc, dict):
        raise _Bad("classifier.yaml: expected a mapping")
    return doc


def load_classifier(classifier_text: str, models_text: str) -> ClassifierData:
    """Both files, validated; raises SignatureError naming the file and the problem."""
    try:
        return _load(classifier_text, models_text)
    except (_Bad, yaml.YAMLError) as exc:
        raise SignatureError([LintError("signatures/identify", 0, str(exc), "")]) from None


def _load(classifier_text: str, models_text: str) -> ClassifierData:
    doc = _classifier(yaml.safe_load(classifier_text))
    factors: list[tuple[str, float]] = []
    classes = doc.get("field_classes")
    if not isinstance(classes, dict):
        raise _Bad("classifier.yaml: field_classes must be a mapping")
    for cname, spec in classes.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("fields"), list):
            raise _Bad(f"classifier.yaml: field class {cname} needs fields")
        factor = spec.get("factor")
        if not isinstance(factor, (int, float)) or not 0 < factor <= 1:
            raise _Bad(f"classifier.yaml: field class {cname}: factor must be in (0, 1]")
        factors.extend((_text(f, f"field class {cname}"), float(factor)) for f in spec["fields"])
    terms: list[Term] = []
    raw_terms = doc.get("terms")
    if not isinstance(raw_terms, list):
        raise _Bad("classifier.yaml: terms must be a list")
    seen: set[str] = set()
    for raw in raw_terms:
        if not isinstance(raw, dict):
            raise _Bad("classifier.yaml: every term must be a mapping")
        tid = _text(raw.get("id"), "term id")
        if tid in seen:
            raise _Bad(f"classifier.yaml: duplicate term {tid}")
        seen.add(tid)
        kind = _kind(raw.get("kind"), f"term {tid}")
        weight = _int(raw.get("weight"), f"term {tid} weight")
        if (kind is DeviceType.OTHER) != (weight < 0):
            raise _Bad(f"classifier.yaml: term {tid}: false friends weigh < 0, the rest > 0")
        pattern = _regex(raw.get("regex"), f"term {tid}", re.IGNORECASE)
        terms.append(Term(tid, kind, weight, _text(raw.get("says"), f"term {tid} says"), pattern))
    protocols: dict[str, tuple[int, str]] = {}
    raw_protocols = doc.get("protocols")
    if not isinstance(raw_protocols, dict):
        raise _Bad("classifier.yaml: protocols must be a mapping")
    for pid, spec in raw_protocols.items():
        if not isinstance(spec, dict):
            raise _Bad(f"classifier.yaml: protocol {pid} must be a mapping")
        protocols[str(pid)] = (
            _int(spec.get("weight"), f"protocol {pid}"),
            _text(spec.get("says"), f"protocol {pid}"),
        )
    missing = sorted(_PROTOCOLS - set(protocols))
    if missing:
        raise _Bad(f"classifier.yaml: protocols lack {', '.join(missing)}")
    ports = tuple(
        PortTerm(
            _int(p.get("port"), "port"),
            _int(p.get("weight"), "port weight"),
            _text(p.get("says"), "port says"),
        )
        for p in _list(doc.get("ports"), "ports")
    )
    models_doc = yaml.safe_load(models_text)
    if not isinstance(models_doc, dict):
        raise _Bad("models.yaml: expected a mapping")
    models: list[ModelShape] = []
    for i, raw in enumerate(_list(models_doc.get("models"), "models"), 1):
        where = f"models.yaml entry {i}"
        device_type = _kind(raw.get("device_type"), where)
        if device_type not in (DeviceType.CAMERA, DeviceType.RECORDER):
            raise _Bad(f"{where}: device_type must be camera or recorder")
        source = _text(raw.get("source"), f"{where} source")
        if not source.startswith("https://"):
            raise _Bad(f"{where}: source must be an https URL")
        models.append(
            ModelShape(
                _text(raw.get("vendor"), where),
                device_type,
                _regex(raw.get("regex"), where),
                source,
            )
        )
    return ClassifierData(
        threshold=_int(doc.get("threshold"), "threshold"),
        other_threshold=_int(doc.get("other_threshold"), "other_threshold"),
        field_factors=tuple(factors),
        terms=tuple(terms),
        protocols=protocols,
        ports=ports,
        mixed_brands=frozenset(_strs(doc.get("mixed_brands"), "mixed_brands")),
        camera_makers=frozenset(_strs(doc.get("camera_makers", []), "camera_makers")),
        ambiguous_names=frozenset(
            s.lower() for s in _strs(doc.get("ambiguous_names"), "ambiguous_names")
        ),
        manufacturer_fields=tuple(_strs(doc.get("field_manufacturer"), "field_manufacturer")),
        models=tuple(models),
    )


_PROTOCOLS = frozenset(
    {
        "onvif-video-transmitter",
        "onvif-device",
        "rtsp-video",
        "rtsp-protected",
        "rtsp-describe",
        "shared-login",
        "model-number",
        "surveillance-brand",
        "nmap-camera",
        "nmap-other",
    }
)


def _list(value: object, where: str) -> list[dict[str, object]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _Bad(f"{where} must be a list of mappings")
    return value


def _strs(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Bad(f"{where} must be a list of text")
    return [str(v) for v in value]


def _shipped_text(name: str) -> str:
    return (shipped_dir() / "identify" / name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def classifier_data() -> ClassifierData:
    """The shipped classifier and model shapes, read once per process."""
    return load_classifier(_shipped_text("classifier.yaml"), _shipped_text("models.yaml"))
