"""Load, validate and merge signature files into a compiled :class:`SignatureSet`.

YAML is composed into nodes (``yaml.compose`` with ``SafeLoader``: no object construction, and every
node keeps its line) and walked by hand into the frozen objects of ``schema.py``. Each problem
becomes a :class:`LintError` ``file:line: message (value)``; the walk never raises on bad input.

Layers: the shipped set (``scanner.signatures``) first, then each user directory in order. A later
layer overrides an earlier one by id (fingerprints, vulnerabilities, vendors, cloud services,
route tables by vendor, ports by number); its credential pairs and generic routes go *before* the
earlier ones, so what an owner adds is tried first within the attempt budget.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import yaml

from scanner.match.engine import SignatureSet
from scanner.match.errors import LintError, SignatureError
from scanner.match.generic import refine
from scanner.match.parse_cloud import CloudSection
from scanner.match.parse_common import MAX_FILE_BYTES, SECTIONS, _Layer, _Reader
from scanner.match.parse_misc import MiscSection
from scanner.match.parse_vulns import VulnSection
from scanner.match.schema import RouteTable
from scanner.match.shipped import shipped_dir
from scanner.match.yamlnodes import compose_yaml

__all__ = ["lint_paths", "load_signatures"]

T = TypeVar("T")


@dataclass
class _File:
    reader: _Reader
    sections: dict[str, yaml.Node]


def _compose(name: str, data: bytes, errors: list[LintError]) -> _File | None:
    reader = _Reader(name, errors)
    root = compose_yaml(reader, data, max_bytes=MAX_FILE_BYTES)
    if root is None:
        return None
    sections = reader.mapping(root, "a signature file", optional=SECTIONS)
    if sections is None:
        return None
    return _File(reader, sections)


class _Parser(VulnSection, MiscSection, CloudSection):
    """Walks the sections of one layer's files, with what earlier layers define in view."""

    # the walk -----------------------------------------------------------------------------------

    def walk(self, files: Sequence[_File]) -> _Layer:
        # Vendors first and fingerprints before vulnerabilities, across all files of the layer,
        # so references resolve whatever file order the author chose.
        for f in files:
            r, s = f.reader, f.sections
            self.layer.vendors.extend(r.items(s.get("vendors"), "vendors", partial(self.vendor, r)))
        for f in files:
            r, s = f.reader, f.sections
            self.layer.fingerprints.extend(
                r.items(s.get("fingerprints"), "fingerprints", partial(self.fingerprint, r))
            )
        for f in files:
            r, s = f.reader, f.sections
            self.layer.vulnerabilities.extend(
                r.items(s.get("vulnerabilities"), "vulnerabilities", partial(self.vulnerability, r))
            )
            credentials = r.items(s.get("credentials"), "credentials", partial(self.credentials, r))
            for entries in credentials:
                self.layer.credentials.extend(entries)
            self.layer.ports.extend(r.items(s.get("ports"), "ports", partial(self.port, r)))
            if "routes" in s:
                self.routes(r, s["routes"])
            self.layer.cloud.extend(r.items(s.get("cloud"), "cloud", partial(self.cloud, r)))
        return self.layer


def _parse_layer(
    files: Sequence[tuple[str, bytes]], base: _Layer | None
) -> tuple[_Layer, list[LintError]]:
    errors: list[LintError] = []
    composed = [f for name, data in files if (f := _compose(name, data, errors)) is not None]
    layer = _Parser(base).walk(composed)
    # The walk visits sections in dependency order; report in reading order instead.
    order = {name: i for i, (name, _) in enumerate(files)}
    errors.sort(key=lambda e: (order.get(e.file, len(order)), e.line))
    return layer, errors


def _override(base: Sequence[T], top: Sequence[T], key: Callable[[T], object]) -> list[T]:
    """``base`` with same-key items replaced in place by ``top``'s, then ``top``'s new ones."""
    replacements = {key(item): item for item in top}
    merged = [replacements.pop(key(item), item) for item in base]
    return merged + [item for item in top if key(item) in replacements]


def _merge(base: _Layer, top: _Layer) -> _Layer:
    return _Layer(
        vendors=_override(base.vendors, top.vendors, lambda v: v.id),
        fingerprints=_override(base.fingerprints, top.fingerprints, lambda f: f.id),
        vulnerabilities=_override(base.vulnerabilities, top.vulnerabilities, lambda v: v.id),
        credentials=[*top.credentials, *base.credentials],
        ports=_override(base.ports, top.ports, lambda p: p.port),
        generic_routes=list(dict.fromkeys([*top.generic_routes, *base.generic_routes])),
        vendor_routes=_override(base.vendor_routes, top.vendor_routes, lambda v: v.vendor),
        cloud=_override(base.cloud, top.cloud, lambda c: c.id),
    )


def _build(layer: _Layer) -> SignatureSet:
    return SignatureSet(
        vendors=tuple(layer.vendors),
        fingerprints=tuple(layer.fingerprints),
        vulnerabilities=tuple(layer.vulnerabilities),
        credentials=tuple(layer.credentials),
        ports=tuple(layer.ports),
        routes=RouteTable(tuple(layer.generic_routes), tuple(layer.vendor_routes)),
        refine=refine,
        cloud=tuple(layer.cloud),
    )


# --- files on disk -------------------------------------------------------------------------------


def _read_files(path: Path) -> tuple[list[tuple[str, bytes]], list[LintError]]:
    """The .yaml/.yml files of ``path`` (a file, or a directory, not recursive), read."""
    try:
        if path.is_dir():
            candidates = sorted(
                p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()
            )
            if not candidates:
                if (path / "discovery").is_dir():
                    return [], []  # only vendor discovery protocols (scanner/discover/vendor)
                return [], [LintError(str(path), 0, "no .yaml files in this directory", str(path))]
        elif path.is_file():
            candidates = [path]
        else:
            return [], [LintError(str(path), 0, "no such file or directory", str(path))]
        out: list[tuple[str, bytes]] = []
        for candidate in candidates:
            if candidate.stat().st_size > MAX_FILE_BYTES:
                return [], [
                    LintError(
                        str(candidate),
                        0,
                        f"file is larger than {MAX_FILE_BYTES} bytes",
                        str(candidate.stat().st_size),
                    )
                ]
            out.append((str(candidate), candidate.read_bytes()))
    except OSError as exc:
        return [], [LintError(str(path), 0, f"cannot read: {exc.strerror or exc}", str(path))]
    return out, []


def _shipped_files() -> list[tuple[str, bytes]]:
    return _read_files(shipped_dir())[0]


@functools.lru_cache(maxsize=1)
def _shipped_layer() -> tuple[_Layer, tuple[LintError, ...]]:
    # Parsed once per process: the shipped files do not change under a running scan, and the
    # compiled objects are frozen, so every caller can share them.
    layer, errors = _parse_layer(_shipped_files(), None)
    return layer, tuple(errors)


def load_signatures(extra_dirs: Sequence[Path] = ()) -> SignatureSet:
    """The shipped signatures, extended or overridden by each of ``extra_dirs`` in order.

    Raises :class:`SignatureError` listing every problem found; nothing else.
    """
    layer, shipped_errors = _shipped_layer()
    errors = list(shipped_errors)
    for directory in extra_dirs:
        files, read_errors = _read_files(Path(directory))
        errors.extend(read_errors)
        top, layer_errors = _parse_layer(files, layer)
        errors.extend(layer_errors)
        layer = _merge(layer, top)
    if errors:
        raise SignatureError(errors)
    return _build(layer)


def lint_paths(paths: Sequence[Path]) -> list[LintError]:
    """Problems in the given files/directories, checked as one layer over the shipped set
    (so they may use its vendors and fingerprint ids). No paths: lint the shipped set."""
    shipped, shipped_errors = _shipped_layer()
    if not paths:
        return list(shipped_errors)
    files: list[tuple[str, bytes]] = []
    errors: list[LintError] = []
    for path in paths:
        found, read_errors = _read_files(Path(path))
        files.extend(found)
        errors.extend(read_errors)
    errors.extend(_parse_layer(files, shipped)[1])
    return errors


def lint_text(name: str, text: str) -> list[LintError]:
    """Lint one document held in memory (docs examples, editors) over the shipped set."""
    return _parse_layer([(name, text.encode("utf-8"))], _shipped_layer()[0])[1]


def load_text(name: str, text: str) -> SignatureSet:
    """The shipped set plus one in-memory document; raises :class:`SignatureError`."""
    layer, shipped_errors = _shipped_layer()
    top, errors = _parse_layer([(name, text.encode("utf-8"))], layer)
    if shipped_errors or errors:
        raise SignatureError([*shipped_errors, *errors])
    return _build(_merge(layer, top))
