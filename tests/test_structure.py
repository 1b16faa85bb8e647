"""The shape of the package (issue #11): no import cycle in scanner/, nothing imported upward by
the foundation modules, no module over 700 lines, one MAC normaliser. tests/test_architecture.py
checks the import-time graph and package loops; this one every import, wherever it stands.

The import graph is read with ``ast`` from the source (every ``import`` and ``from ... import``,
those inside functions and ``if TYPE_CHECKING:`` included: a cycle hidden from the interpreter
is still a cycle in the design). An import names the module it names: ``from scanner.lab import
x`` is an edge to scanner/lab/__init__.py, or to scanner/lab/x.py when ``x`` is a module; the
implicit import of a parent package is not an edge.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.test_architecture import cycles

SCANNER = Path(__file__).resolve().parents[1] / "scanner"
MAX_LINES = 700

# Modules still over MAX_LINES, each owned by another issue's work this session; the merge that
# brings one under the limit must remove it here (test_known_exceptions_are_still_needed).
KNOWN_LARGE: dict[str, str] = {}

# The foundation every stage builds on may import only from itself: a stage imported from here
# would make every stage depend on it (config.py once imported credentials/).
FOUNDATION = frozenset({"scanner.models", "scanner.digits", "scanner.targets", "scanner.config"})
# Upward imports still there, each with the work that removes it.
KNOWN_UPWARD = {
    # Under TYPE_CHECKING only: ScanConfig.nmap is typed with the NmapOptions of the nmap stage.
    # The options (and NmapScan, the parsed report they carry) belong in config/models (#11).
    ("scanner.config", "scanner.probe.nmap"): "issue #11: nmap options into ScanConfig's module",
    # The same for ScanConfig.router (issue #17's RouterOptions, in router/config.py).
    ("scanner.config", "scanner.router.config"): "issue #17: router options beside ScanConfig",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SCANNER.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SCANNER.rglob("*.py"))}


def _imports(path: Path, name: str, known: set[str]) -> Iterator[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    yield f"{base}.{alias.name}"
                elif base in known:
                    yield base


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: set(_imports(path, name, known)) - {name} for name, path in found.items()}


# Cycles that only a function-level import keeps from failing at import time; each names the
# work that removes it.
KNOWN_CYCLES: list[set[str]] = []


def test_no_import_cycle_in_scanner() -> None:
    found = cycles(import_graph())
    assert [c for c in found if c not in KNOWN_CYCLES] == []
    assert all(c in found for c in KNOWN_CYCLES), "remove the cycle that is gone"


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = import_graph()
    assert "scanner.models" in graph["scanner.pipeline"]  # from scanner.models import ...
    assert "scanner.lab.devices" in graph["scanner.lab"]  # a package's own re-exports
    assert "scanner.match.engine" in graph["scanner.match.identity"]


def test_the_foundation_imports_nothing_above_it() -> None:
    graph = import_graph()
    upward = {(name, up) for name in FOUNDATION for up in graph[name] - FOUNDATION}
    assert upward - set(KNOWN_UPWARD) == set()
    assert set(KNOWN_UPWARD) <= upward, "remove the upward import that is gone"


def _long_modules() -> dict[str, int]:
    sizes = {name: len(path.read_text("utf-8").splitlines()) for name, path in modules().items()}
    return {name: lines for name, lines in sizes.items() if lines > MAX_LINES}


def test_no_module_over_700_lines() -> None:
    over = {name: lines for name, lines in _long_modules().items() if name not in KNOWN_LARGE}
    assert over == {}, f"split these (lines over {MAX_LINES}): {over}"


def test_known_exceptions_are_still_needed() -> None:
    assert set(KNOWN_LARGE) <= set(_long_modules()), "remove the module that is now small enough"


def test_macs_are_normalised_in_one_place() -> None:
    where = sorted(
        name
        for name, path in modules().items()
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.FunctionDef)
        and "mac" in node.name.lower()
        and "normal" in node.name.lower()
    )
    assert where == ["scanner.discover.oui"]
