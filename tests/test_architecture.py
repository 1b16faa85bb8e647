"""The package's shape, measured with ast: import cycles and module sizes.

Module-level imports only count (what runs when a module is imported): imports under
``if TYPE_CHECKING:`` and inside functions are reported separately, since they never load at
import time but still tie two modules together.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "scanner"
MAX_LINES = 700
PIPELINE_MAX_LINES = 400
# The modules of the transport/registry/config/enricher/streaming work (issue #11, core part).
CORE = (
    "transport.py",
    "registry.py",
    "config.py",
    "enrich.py",
    "work.py",
    "probing.py",
    "logins.py",
    "pipeline.py",
    "context.py",
)


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(body: Iterable[ast.stmt], known: dict[str, Path], *, runtime: bool) -> set[str]:
    found: set[str] = set()
    for node in body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            if not runtime:
                found |= _imports(node.body, known, runtime=runtime)
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if not runtime:
                found |= _imports(node.body, known, runtime=runtime)
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.If | ast.Try | ast.With):
            for block in (node.body, getattr(node, "orelse", [])):
                found |= _imports(block, known, runtime=runtime)
            for handler in getattr(node, "handlers", []):
                found |= _imports(handler.body, known, runtime=runtime)
    return {name for name in found if name in known}


def import_graph(*, runtime: bool) -> dict[str, set[str]]:
    known = _modules()
    graph = {}
    for name, path in known.items():
        body = ast.parse(path.read_text(encoding="utf-8")).body
        graph[name] = _imports(body, known, runtime=runtime) - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            members = set()
            while True:
                top = stack.pop()
                members.add(top)
                if top == node:
                    break
            if len(members) > 1:
                out.append(members)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def packages(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    def top(name: str) -> str:
        return ".".join(name.split(".")[:2])

    out: dict[str, set[str]] = {}
    for name, deps in graph.items():
        out.setdefault(top(name), set()).update(top(d) for d in deps if top(d) != top(name))
    return out


def test_no_module_imports_itself_back_at_import_time() -> None:
    assert cycles(import_graph(runtime=True)) == []


def test_no_package_loop() -> None:
    # The last loop, probe -> discover (probe/nmap.py reads nmap's XML with discover/nmap_xml.py)
    # -> probe (discover/ took probe/context.ProbeContext), ended when ProbeContext moved beside
    # the transport seam (scanner/context.py).
    assert cycles(packages(import_graph(runtime=True))) == []


def test_the_pipeline_and_the_core_modules_stay_small() -> None:
    def lines(relative: str) -> int:
        return len((ROOT / relative).read_text(encoding="utf-8").splitlines())

    assert lines("pipeline.py") < PIPELINE_MAX_LINES
    sizes = {name: lines(name) for name in CORE}
    assert all(size <= MAX_LINES for size in sizes.values()), sizes


def test_the_tool_finds_a_cycle_when_there_is_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [{"a", "b", "c"}]
    assert cycles({"a": {"b"}, "b": set()}) == []
